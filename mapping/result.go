package mapping

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/httptoken"
	"github.com/portico/portico/internal/jsonbytes"
)

// ErrMalformedResult reports a function result that is not a valid proxy
// response: not JSON, not the expected shape, or a field of the wrong type.
// API Gateway answers it with 500 (HTTP API) or 502 (REST API).
var ErrMalformedResult = errors.New("mapping: malformed proxy result")

// ErrBadBase64 reports a result marked isBase64Encoded whose body did not
// decode while ResultOptions.DecodeBase64 was set. A REST API answers it with
// 500 (API configuration error).
var ErrBadBase64 = errors.New("mapping: result body is not valid base64")

// ResultOptions controls how WriteResultV1 and WriteResultV2 map a result.
// The zero value decodes no base64 and sets no default Content-Type. A
// ResultOptions may be shared by concurrent calls as long as it is not
// modified.
type ResultOptions struct {
	// DecodeBase64 makes a body marked isBase64Encoded be base64-decoded
	// (standard alphabet, padded or not). Without it the body text is sent
	// as it is. HTTP APIs always decode; REST APIs decode only when the
	// client's first Accept type matches binaryMediaTypes, which the caller
	// decides. Default false.
	DecodeBase64 bool
	// DefaultContentType is the Content-Type set when the function gives
	// none: "application/json" for payload format 1.0 and
	// "text/plain; charset=utf-8" for the 2.0 explicit form. Empty leaves
	// the response's Content-Type alone. It does not apply to a 2.0 result
	// without statusCode, which is always application/json.
	DefaultContentType string
	// KeepStringQuotes sends a 2.0 result that is a bare JSON string as
	// its JSON text, quotes and escapes included, instead of its content
	// (which the AWS docs show). Default false.
	KeepStringQuotes bool
}

var zeroResultOptions ResultOptions

var (
	strSetCookieHeader   = []byte("Set-Cookie")
	strApplicationJSON   = []byte("application/json")
	strResultContentType = "content-type"
)

// maxPooledResultBuffer is the largest scratch buffer kept for reuse.
const maxPooledResultBuffer = 64 << 10

// maxPooledMultiEntries is the largest multiValueHeaders index kept for reuse.
const maxPooledMultiEntries = 1024

// resultState is the per-call scratch space of the result decoders. It is
// pooled; every slice it holds is only valid during one call.
type resultState struct {
	scan jsonbytes.Scanner
	// Unescape targets, one per string that must be alive at the same time.
	key, name, value, cmpName, cmpValue, body, decoded []byte
	// multi indexes the multiValueHeaders members for the 1.0 merge.
	multi []multiHeader
	// headers are the response headers the result sets, their names and
	// values copied into headerBytes. They reach the response only once the
	// whole result has been read, so that a malformed result leaves the
	// response as the caller had it (with the gateway's own headers).
	headers     []stagedHeader
	headerBytes []byte
	// sawContentType is set once the function supplied a Content-Type.
	sawContentType bool
	// mergeComparisons counts the work of the 1.0 header merge.
	mergeComparisons int
}

// stagedHeader is one header of the result: name is headerBytes[start:split],
// value headerBytes[split:end].
type stagedHeader struct{ start, split, end int }

// maxPooledStagedHeaders is the largest staged-header list kept for reuse.
const maxPooledStagedHeaders = 1024

// multiHeader is one multiValueHeaders member: its raw key and its array.
type multiHeader struct {
	name   jsonbytes.Value
	values jsonbytes.Value
}

var resultStatePool = sync.Pool{New: func() any { return new(resultState) }}

// writeResult runs one format's decoder with pooled scratch space.
func writeResult(result []byte, resp *fasthttp.Response, opts *ResultOptions,
	write func(*resultState, []byte, *fasthttp.Response, *ResultOptions) error) error {
	if opts == nil {
		opts = &zeroResultOptions
	}
	st := acquireResultState(result)
	err := write(st, result, resp, opts)
	releaseResultState(st)
	return err
}

func acquireResultState(result []byte) *resultState {
	st := resultStatePool.Get().(*resultState)
	st.scan.Reset(result)
	return st
}

func releaseResultState(st *resultState) {
	st.scan.Reset(nil)
	clear(st.multi) // drop references to the result
	st.multi = st.multi[:0]
	if cap(st.multi) > maxPooledMultiEntries {
		st.multi = nil
	}
	st.headers = st.headers[:0]
	if cap(st.headers) > maxPooledStagedHeaders {
		st.headers = nil
	}
	st.headerBytes = resultBuffer(st.headerBytes)
	st.key = resultBuffer(st.key)
	st.name = resultBuffer(st.name)
	st.value = resultBuffer(st.value)
	st.cmpName = resultBuffer(st.cmpName)
	st.cmpValue = resultBuffer(st.cmpValue)
	st.body = resultBuffer(st.body)
	st.decoded = resultBuffer(st.decoded)
	st.sawContentType = false
	st.mergeComparisons = 0
	resultStatePool.Put(st)
}

// resultBuffer empties b, or drops it when it is too large to keep.
func resultBuffer(b []byte) []byte {
	if cap(b) > maxPooledResultBuffer {
		return nil
	}
	return b[:0]
}

// keyIs reports whether the raw object key equals want.
func (st *resultState) keyIs(key []byte, esc bool, want string) bool {
	if !esc {
		return string(key) == want
	}
	st.key = jsonbytes.AppendUnescaped(st.key[:0], key)
	return string(st.key) == want
}

// resultFields holds the members of a result object that the decoders read,
// each Absent when the object lacks it. They point into the result.
type resultFields struct {
	status, headers, multi, cookies, body, b64 jsonbytes.Value
}

// objectAhead reports whether the result is a JSON object, judging by its
// first byte; an empty result is malformed in both formats.
func (st *resultState) objectAhead() (bool, error) {
	switch st.scan.Peek() {
	case '{':
		return true, nil
	case 0:
		return false, malformedResult("result is empty")
	}
	return false, nil
}

// readObject reads the result object to its end. Both formats read the same
// members, multiValueHeaders and cookies included; each writer drops the one
// its format ignores. whole is the object's JSON text, which is the body of
// a 2.0 result without statusCode.
func (st *resultState) readObject(result []byte) (f resultFields, whole []byte, err error) {
	s := &st.scan
	start := s.Offset()
	if err := s.BeginObject(); err != nil {
		return f, nil, malformedJSON(err)
	}
	for first := true; ; first = false {
		key, esc, more, err := s.NextMember(first)
		if err != nil {
			return f, nil, malformedJSON(err)
		}
		if !more {
			break
		}
		v, err := s.ReadValue()
		if err != nil {
			return f, nil, malformedJSON(err)
		}
		switch {
		case st.keyIs(key, esc, "statusCode"):
			f.status = v
		case st.keyIs(key, esc, "headers"):
			f.headers = v
		case st.keyIs(key, esc, "multiValueHeaders"):
			f.multi = v
		case st.keyIs(key, esc, "cookies"):
			f.cookies = v
		case st.keyIs(key, esc, "body"):
			f.body = v
		case st.keyIs(key, esc, "isBase64Encoded"):
			f.b64 = v
		}
	}
	whole = result[start:s.Offset()]
	if err := s.End(); err != nil {
		return f, nil, malformedJSON(err)
	}
	return f, whole, nil
}

// writeExplicit checks every field of a result with statusCode and only then
// stages its headers and writes resp. A 1.0 result comes with cookies Absent
// and a 2.0 one with multi Absent, so the steps of the other format do
// nothing. The checks run in a fixed order, which picks the error a result
// with several bad fields gets.
func (st *resultState) writeExplicit(resp *fasthttp.Response, f *resultFields, opts *ResultOptions) error {
	code, err := st.parseStatusCode(f.status)
	if err != nil {
		return err
	}
	isBase64, err := checkResultBase64(f.b64)
	if err != nil {
		return err
	}
	if err := cmp.Or( // the first failure, in this order
		checkResultKind(f.body, jsonbytes.String, "body", "a string"),
		checkResultKind(f.headers, jsonbytes.Object, "headers", "an object"),
		checkResultKind(f.multi, jsonbytes.Object, "multiValueHeaders", "an object"),
		checkResultKind(f.cookies, jsonbytes.Array, "cookies", "an array"),
	); err != nil {
		return err
	}

	if err := st.stageMultiValueHeadersV1(f.multi); err != nil {
		return err
	}
	if err := st.stageHeaders(f.headers); err != nil {
		return err
	}
	if err := st.stageCookiesV2(f.cookies); err != nil {
		return err
	}
	b, err := st.resultBody(f.body, isBase64, opts.DecodeBase64)
	if err != nil {
		return err
	}
	st.write(resp, code, b, opts.DefaultContentType)
	return nil
}

func malformedResult(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedResult, reason)
}

func malformedJSON(err error) error {
	return fmt.Errorf("%w: %w", ErrMalformedResult, err)
}

// parseStatusCode reads statusCode: a JSON integer or a string holding one,
// in 200..599. A 1xx code is not a final response: sent as one it leaves
// the client waiting for the response that would follow it (or, for 101,
// switches the connection to a protocol nobody speaks), so it is as
// malformed as 600.
func (st *resultState) parseStatusCode(v jsonbytes.Value) (int, error) {
	var digits []byte
	switch v.Kind {
	case jsonbytes.Number:
		digits = v.Raw
	case jsonbytes.String:
		digits = v.Text(&st.value)
	default:
		return 0, malformedResult("statusCode is not an integer")
	}
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, malformedResult("statusCode is not an integer")
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, malformedResult("statusCode is not an integer")
		}
		if n < 1000 {
			n = n*10 + int(c-'0')
		}
	}
	if neg || n < 200 || n > 599 {
		return 0, fmt.Errorf("%w: statusCode %.40s is out of range 200..599", ErrMalformedResult, v.Raw)
	}
	return n, nil
}

// checkResultBase64 reads isBase64Encoded: absent, null or a boolean.
func checkResultBase64(v jsonbytes.Value) (bool, error) {
	switch v.Kind {
	case jsonbytes.Absent, jsonbytes.Null:
		return false, nil
	case jsonbytes.Bool:
		return v.Raw[0] == 't', nil
	default:
		return false, malformedResult("isBase64Encoded is not a boolean")
	}
}

// checkResultKind checks that a field is absent, null or of kind want.
func checkResultKind(v jsonbytes.Value, want jsonbytes.Kind, field, what string) error {
	if v.Kind == jsonbytes.Absent || v.Kind == jsonbytes.Null || v.Kind == want {
		return nil
	}
	return fmt.Errorf("%w: %s is not %s", ErrMalformedResult, field, what)
}

// resultHeaderValue returns the text of a header value: strings unescaped, numbers
// and booleans as their JSON text. skip is true for null.
func resultHeaderValue(v jsonbytes.Value, buf *[]byte, name []byte) (value []byte, skip bool, err error) {
	switch v.Kind {
	case jsonbytes.String:
		return v.Text(buf), false, nil
	case jsonbytes.Number, jsonbytes.Bool:
		return v.Raw, false, nil
	case jsonbytes.Null:
		return nil, true, nil
	default:
		return nil, false, fmt.Errorf("%w: value of header %.100q is not a string", ErrMalformedResult, name)
	}
}

// addHeader stages one function header. Names that must be HTTP tokens
// are checked; headers owned by HTTP framing are dropped.
func (st *resultState) addHeader(name, value []byte) error {
	if !httptoken.Valid(name) {
		return fmt.Errorf("%w: header name %.100q is not a valid HTTP token", ErrMalformedResult, name)
	}
	if isResultFramingHeader(name) {
		return nil
	}
	if !isResultHeaderValue(value) {
		return fmt.Errorf("%w: value of header %.100q holds a control character", ErrMalformedResult, name)
	}
	if len(value) > 0 && asciiFoldEqual(name, strResultContentType) {
		st.sawContentType = true
	}
	st.stageHeader(name, value)
	return nil
}

// stageHeaders stages each pair of headers (absent, null or an object) whose
// value multiValueHeaders does not already hold under its name. It needs
// st.multi as stageMultiValueHeadersV1 left it, which for a 2.0 result (or a
// 1.0 one without multiValueHeaders) is empty, so every pair is staged.
func (st *resultState) stageHeaders(headers jsonbytes.Value) error {
	if headers.Kind != jsonbytes.Object {
		return nil
	}
	hs := jsonbytes.NewScanner(headers.Raw)
	if err := hs.BeginObject(); err != nil {
		return malformedJSON(err)
	}
	for first := true; ; first = false {
		key, esc, more, err := hs.NextMember(first)
		if err != nil {
			return malformedJSON(err)
		}
		if !more {
			return nil
		}
		v, err := hs.ReadValue()
		if err != nil {
			return malformedJSON(err)
		}
		name := jsonbytes.Value{Raw: key, Kind: jsonbytes.String, Escaped: esc}.Text(&st.name)
		value, skip, err := resultHeaderValue(v, &st.value, name)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		dup, err := st.inMultiValueHeaders(name, value)
		if err != nil {
			return err
		}
		if dup {
			continue
		}
		if err := st.addHeader(name, value); err != nil {
			return err
		}
	}
}

// isResultHeaderValue reports whether value may go on the wire: no control
// byte but tab, CR and LF (fasthttp writes those two as spaces). A NUL or
// another control byte is one a client or proxy could misparse.
func isResultHeaderValue(value []byte) bool {
	for _, c := range value {
		if c < ' ' && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}

// stageHeader copies a header into the staged list, unchecked.
func (st *resultState) stageHeader(name, value []byte) {
	start := len(st.headerBytes)
	st.headerBytes = append(st.headerBytes, name...)
	split := len(st.headerBytes)
	st.headerBytes = append(st.headerBytes, value...)
	st.headers = append(st.headers, stagedHeader{start, split, len(st.headerBytes)})
}

// resultBody returns the response body of body (absent, null or a
// string), base64-decoded when marked and asked to. It stays valid until
// st is released.
func (st *resultState) resultBody(body jsonbytes.Value, isBase64, decode bool) ([]byte, error) {
	var b []byte
	if body.Kind == jsonbytes.String {
		b = body.Text(&st.body)
	}
	if isBase64 && decode && len(b) > 0 {
		var err error
		st.decoded, err = appendBase64Decoded(st.decoded[:0], b)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadBase64, err)
		}
		b = st.decoded
	}
	return b, nil
}

// write puts a fully read result onto resp: status, the staged headers in
// order, the default Content-Type when the function gave none, and body.
// fasthttp routes Content-Type, Content-Encoding, Server and Set-Cookie to
// their dedicated fields and replaces CR and LF in values with spaces.
func (st *resultState) write(resp *fasthttp.Response, code int, body []byte, defaultContentType string) {
	resp.SetStatusCode(code)
	h := &resp.Header
	for _, sh := range st.headers {
		h.AddBytesKV(st.headerBytes[sh.start:sh.split], st.headerBytes[sh.split:sh.end])
	}
	if !st.sawContentType && defaultContentType != "" {
		h.SetContentType(defaultContentType)
	}
	resp.SetBody(body)
}

// appendBase64Decoded appends the decoded form of src, which may be padded
// (StdEncoding) or not (RawStdEncoding), to dst. Line breaks are ignored.
func appendBase64Decoded(dst, src []byte) ([]byte, error) {
	out, err := base64.StdEncoding.AppendDecode(dst, src)
	if err == nil {
		return out, nil
	}
	if raw, rawErr := base64.RawStdEncoding.AppendDecode(out[:len(dst)], src); rawErr == nil {
		return raw, nil
	}
	return out[:len(dst)], err
}

// isResultFramingHeader reports whether name is a header that HTTP framing and
// fasthttp own, which a function cannot set: Content-Length,
// Transfer-Encoding, Connection, Keep-Alive, Upgrade and Trailer.
func isResultFramingHeader(name []byte) bool {
	switch len(name) {
	case 7:
		return asciiFoldEqual(name, "upgrade") || asciiFoldEqual(name, "trailer")
	case 10:
		return asciiFoldEqual(name, "connection") || asciiFoldEqual(name, "keep-alive")
	case 14:
		return asciiFoldEqual(name, "content-length")
	case 17:
		return asciiFoldEqual(name, "transfer-encoding")
	}
	return false
}

// asciiFoldEqual compares b with the lower-case ASCII string s, ignoring
// ASCII case.
func asciiFoldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if asciiLower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// asciiFoldEqualBytes compares a and b ignoring ASCII case.
func asciiFoldEqualBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if asciiLower(a[i]) != asciiLower(b[i]) {
			return false
		}
	}
	return true
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
