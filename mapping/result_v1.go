package mapping

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/jsonbytes"
)

// WriteResultV1 maps a payload format 1.0 function result (REST APIs, and
// HTTP APIs with payloadFormatVersion 1.0) onto resp:
//
//	{"isBase64Encoded": bool, "statusCode": int, "headers": {name: value},
//	 "multiValueHeaders": {name: [values]}, "body": "string"}
//
// statusCode is required (an integer, or a string holding one, in
// 200..599); the other fields may be absent or null, and unknown fields are
// ignored. A name present in both headers and multiValueHeaders (compared
// ignoring case) gets the multiValueHeaders values first, then the headers
// value unless it is already among them. Header names keep their case;
// Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade and
// Trailer are dropped.
//
// WriteResultV1 sets the status, headers and body without resetting resp
// first, and only once the whole result has been read: when it returns an
// error (wrapping ErrMalformedResult or ErrBadBase64) resp is untouched.
// opts may be nil. It keeps no reference to result or resp after it returns
// and is safe for concurrent use on different responses. It does not
// allocate once its pools are warm.
func WriteResultV1(result []byte, resp *fasthttp.Response, opts *ResultOptions) error {
	return writeResult(result, resp, opts, (*resultState).writeV1)
}

func (st *resultState) writeV1(result []byte, resp *fasthttp.Response, opts *ResultOptions) error {
	object, err := st.objectAhead()
	if err != nil {
		return err
	}
	if !object {
		return malformedResult("result is not a JSON object")
	}
	f, _, err := st.readObject(result)
	if err != nil {
		return err
	}
	if f.status.Kind == jsonbytes.Absent {
		return malformedResult("statusCode is missing")
	}
	f.cookies = jsonbytes.Value{} // a 1.0 result has no cookies field
	return st.writeExplicit(resp, &f, opts)
}

// stageMultiValueHeadersV1 stages every value of multiValueHeaders (absent,
// null or an object) and indexes its members in st.multi for the merge that
// stageHeaders does; absent or null leaves the index empty.
func (st *resultState) stageMultiValueHeadersV1(multi jsonbytes.Value) error {
	st.multi = st.multi[:0]
	if multi.Kind != jsonbytes.Object {
		return nil
	}
	ms := jsonbytes.NewScanner(multi.Raw)
	if err := ms.BeginObject(); err != nil {
		return malformedJSON(err)
	}
	for first := true; ; first = false {
		key, esc, more, err := ms.NextMember(first)
		if err != nil {
			return malformedJSON(err)
		}
		if !more {
			return nil
		}
		values, err := ms.ReadValue()
		if err != nil {
			return malformedJSON(err)
		}
		raw := jsonbytes.Value{Raw: key, Kind: jsonbytes.String, Escaped: esc}
		name := raw.Text(&st.name)
		switch values.Kind {
		case jsonbytes.Null:
			continue
		case jsonbytes.Array:
		default:
			return fmt.Errorf("%w: multiValueHeaders value of %.100q is not an array", ErrMalformedResult, name)
		}
		st.multi = append(st.multi, multiHeader{name: raw, values: values})
		if err := st.stageHeaderValuesV1(name, values); err != nil {
			return err
		}
	}
}

// stageHeaderValuesV1 stages one header per item of values, a
// multiValueHeaders array. name is st.name's text, so nothing here may
// unescape into st.name.
func (st *resultState) stageHeaderValuesV1(name []byte, values jsonbytes.Value) error {
	as := jsonbytes.NewScanner(values.Raw)
	if err := as.BeginArray(); err != nil {
		return malformedJSON(err)
	}
	for first := true; ; first = false {
		more, err := as.NextElement(first)
		if err != nil {
			return malformedJSON(err)
		}
		if !more {
			return nil
		}
		v, err := as.ReadValue()
		if err != nil {
			return malformedJSON(err)
		}
		value, skip, err := resultHeaderValue(v, &st.value, name)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		if err := st.addHeader(name, value); err != nil {
			return err
		}
	}
}

// maxMergeComparisons bounds the work of merging headers into
// multiValueHeaders, which compares every headers pair with every
// multiValueHeaders name: a result that needs more comparisons (thousands of
// headers in both) is malformed rather than a quadratic stall.
const maxMergeComparisons = 1 << 20

// inMultiValueHeaders reports whether multiValueHeaders holds value under
// name, comparing names ignoring ASCII case and values exactly.
func (st *resultState) inMultiValueHeaders(name, value []byte) (bool, error) {
	for i := range st.multi {
		m := &st.multi[i]
		st.mergeComparisons++
		if st.mergeComparisons > maxMergeComparisons {
			return false, malformedResult("too many headers to merge with multiValueHeaders")
		}
		if !asciiFoldEqualBytes(m.name.Text(&st.cmpName), name) {
			continue
		}
		as := jsonbytes.NewScanner(m.values.Raw)
		if as.BeginArray() != nil {
			continue
		}
		for first := true; ; first = false {
			more, err := as.NextElement(first)
			if err != nil || !more {
				break
			}
			v, err := as.ReadValue()
			if err != nil {
				break
			}
			var got []byte
			switch v.Kind {
			case jsonbytes.String:
				got = v.Text(&st.cmpValue)
			case jsonbytes.Number, jsonbytes.Bool:
				got = v.Raw
			default:
				continue
			}
			if bytes.Equal(got, value) {
				return true, nil
			}
			st.mergeComparisons++
		}
	}
	return false, nil
}
