package mapping

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/jsonbytes"
)

// WriteResultV2 maps a payload format 2.0 function result (HTTP APIs) onto
// resp. A JSON object with a statusCode member is the explicit form:
//
//	{"cookies": ["a=1; Path=/"], "isBase64Encoded": bool, "statusCode": int,
//	 "headers": {name: value}, "body": "string"}
//
// statusCode is an integer, or a string holding one, in 200..599; the other
// fields may be absent or null, multiValueHeaders and unknown fields are
// ignored. Each cookie becomes its own Set-Cookie header, byte for byte.
// Header names keep their case; Content-Length, Transfer-Encoding,
// Connection, Keep-Alive, Upgrade and Trailer are dropped.
//
// Any other valid JSON is inferred as status 200, Content-Type
// application/json, and the result's JSON text (without surrounding
// whitespace) as body, except that a JSON string gives its unescaped
// content.
//
// WriteResultV2 sets the status, headers and body without resetting resp
// first, and only once the whole result has been read: when it returns an
// error (wrapping ErrMalformedResult or ErrBadBase64) resp is untouched.
// opts may be nil. It keeps no reference to result or resp after it returns
// and is safe for concurrent use on different responses. It does not
// allocate once its pools are warm.
func WriteResultV2(result []byte, resp *fasthttp.Response, opts *ResultOptions) error {
	return writeResult(result, resp, opts, (*resultState).writeV2)
}

func (st *resultState) writeV2(result []byte, resp *fasthttp.Response, opts *ResultOptions) error {
	object, err := st.objectAhead()
	if err != nil {
		return err
	}
	if !object {
		return st.writeNonObjectV2(result, resp, opts)
	}
	f, whole, err := st.readObject(result)
	if err != nil {
		return err
	}
	if f.status.Kind == jsonbytes.Absent {
		return writeInferredV2(resp, whole)
	}
	f.multi = jsonbytes.Value{} // 2.0 ignores multiValueHeaders
	return st.writeExplicit(resp, &f, opts)
}

// writeNonObjectV2 answers a result that is valid JSON but not an object,
// which is inferred: its JSON text is the body, or a string's content.
func (st *resultState) writeNonObjectV2(result []byte, resp *fasthttp.Response, opts *ResultOptions) error {
	s := &st.scan
	v, err := s.ReadValue()
	if err != nil {
		return malformedJSON(err)
	}
	if err := s.End(); err != nil {
		return malformedJSON(err)
	}
	body := v.Raw
	switch {
	case v.Kind == jsonbytes.String && opts.KeepStringQuotes:
		body = bytes.TrimSpace(result) // the JSON text, quotes included
	case v.Kind == jsonbytes.String:
		body = v.Text(&st.body)
	}
	return writeInferredV2(resp, body)
}

// writeInferredV2 answers a result without statusCode: 200, JSON, body.
func writeInferredV2(resp *fasthttp.Response, body []byte) error {
	resp.SetStatusCode(fasthttp.StatusOK)
	resp.Header.SetContentTypeBytes(strApplicationJSON)
	resp.SetBody(body)
	return nil
}

// stageCookiesV2 stages one Set-Cookie header per cookies item, as given.
// fasthttp keeps a Set-Cookie value added with AddBytesKV verbatim (apart
// from CR/LF, which become spaces) and writes it after the other headers;
// ResponseHeader.SetCookie would re-serialise it instead. Empty strings and
// nulls are skipped.
func (st *resultState) stageCookiesV2(cookies jsonbytes.Value) error {
	if cookies.Kind != jsonbytes.Array {
		return nil
	}
	cs := jsonbytes.NewScanner(cookies.Raw)
	if err := cs.BeginArray(); err != nil {
		return malformedJSON(err)
	}
	for first := true; ; first = false {
		more, err := cs.NextElement(first)
		if err != nil {
			return malformedJSON(err)
		}
		if !more {
			return nil
		}
		v, err := cs.ReadValue()
		if err != nil {
			return malformedJSON(err)
		}
		switch v.Kind {
		case jsonbytes.Null:
			continue
		case jsonbytes.String:
		default:
			return fmt.Errorf("%w: cookies item %.40s is not a string", ErrMalformedResult, v.Raw)
		}
		cookie := v.Text(&st.value)
		if !isResultHeaderValue(cookie) {
			return fmt.Errorf("%w: cookies item holds a control character", ErrMalformedResult)
		}
		if len(cookie) > 0 {
			st.stageHeader(strSetCookieHeader, cookie)
		}
	}
}
