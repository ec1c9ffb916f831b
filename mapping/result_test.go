package mapping

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fasthttp"
)

// resultCase is one function result and the response it must give.
type resultCase struct {
	name    string
	result  string
	opts    ResultOptions
	wantErr error // nil, ErrMalformedResult or ErrBadBase64
	status  int
	// headers lists every header of the response as "Name: value", in the
	// order ResponseHeader.All yields them: Content-Type first, then
	// Set-Cookie, then the rest in insertion order.
	headers []string
	body    string
}

var (
	optsV1       = ResultOptions{DefaultContentType: "application/json"}
	optsV1Binary = ResultOptions{DefaultContentType: "application/json", DecodeBase64: true}
	optsV2       = ResultOptions{DefaultContentType: "text/plain; charset=utf-8", DecodeBase64: true}
)

// newResultResponse returns a response that keeps header-name case, as the
// gateway's server does.
func newResultResponse() *fasthttp.Response {
	resp := new(fasthttp.Response)
	resp.Header.DisableNormalizing()
	return resp
}

func resultHeaders(resp *fasthttp.Response) []string {
	var got []string
	for k, v := range resp.Header.All() {
		got = append(got, string(k)+": "+string(v))
	}
	return got
}

func runResultCases(t *testing.T, write func([]byte, *fasthttp.Response, *ResultOptions) error, cases []resultCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := newResultResponse()
			err := write([]byte(c.result), resp, &c.opts)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got error %v, want %v", err, c.wantErr)
				}
				if c.wantErr == ErrMalformedResult && errors.Is(err, ErrBadBase64) ||
					c.wantErr == ErrBadBase64 && errors.Is(err, ErrMalformedResult) {
					t.Fatalf("error %v wraps both sentinels", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := resp.StatusCode(); got != c.status {
				t.Errorf("got status %d, want %d", got, c.status)
			}
			if got := resultHeaders(resp); !slices.Equal(got, c.headers) {
				t.Errorf("got headers\n\t%q\nwant\n\t%q", got, c.headers)
			}
			if got := string(resp.Body()); got != c.body {
				t.Errorf("got body %q, want %q", got, c.body)
			}
		})
	}
}

const ctJSON = "Content-Type: application/json"

var resultV1Cases = []resultCase{
	{name: "minimal", result: `{"statusCode":200}`, opts: optsV1, status: 200, headers: []string{ctJSON}},
	{name: "status and body", result: `{"statusCode": 404, "body": "not here"}`, opts: optsV1, status: 404, headers: []string{ctJSON}, body: "not here"},
	{name: "status as string", result: `{"statusCode":"201","body":"x"}`, opts: optsV1, status: 201, headers: []string{ctJSON}, body: "x"},
	{name: "status as escaped string", result: `{"statusCode":"\u0032\u0030\u0032"}`, opts: optsV1, status: 202, headers: []string{ctJSON}},
	{name: "status 200", result: `{"statusCode":200}`, opts: optsV1, status: 200, headers: []string{ctJSON}},
	{name: "status 599", result: `{"statusCode":599}`, opts: optsV1, status: 599, headers: []string{ctJSON}},
	{name: "whitespace around", result: " \t\r\n{ \"statusCode\" : 200 , \"body\" : \"b\" } \n", opts: optsV1, status: 200, headers: []string{ctJSON}, body: "b"},
	{name: "last duplicate key wins", result: `{"statusCode":500,"statusCode":200}`, opts: optsV1, status: 200, headers: []string{ctJSON}},
	{name: "escaped key", result: `{"status\u0043ode":203}`, opts: optsV1, status: 203, headers: []string{ctJSON}},
	{name: "unknown keys ignored", result: `{"statusCode":200,"x":{"a":[1,{"b":null}]},"y":[true,false],"statuscode":500,"z":"\u00e9"}`, opts: optsV1, status: 200, headers: []string{ctJSON}},
	{name: "null fields", result: `{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}`, opts: optsV1, status: 200, headers: []string{ctJSON}},
	{name: "no default content type", result: `{"statusCode":200}`, status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8"}},

	{name: "missing status", result: `{"body":"x"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status null", result: `{"statusCode":null}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 99", result: `{"statusCode":99}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 100", result: `{"statusCode":100}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 101", result: `{"statusCode":"101"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 199", result: `{"statusCode":199}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 600", result: `{"statusCode":600}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status 0", result: `{"statusCode":0}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status negative", result: `{"statusCode":-200}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status huge", result: `{"statusCode":200000000000000000000000000000}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status fraction", result: `{"statusCode":200.0}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status exponent", result: `{"statusCode":2e2}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status bool", result: `{"statusCode":true}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status object", result: `{"statusCode":{}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status string not digits", result: `{"statusCode":"20x"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status string with space", result: `{"statusCode":" 200"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status empty string", result: `{"statusCode":""}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "status string out of range", result: `{"statusCode":"700"}`, opts: optsV1, wantErr: ErrMalformedResult},

	{name: "empty", result: ``, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "only whitespace", result: " \n\t", opts: optsV1, wantErr: ErrMalformedResult},
	{name: "array", result: `[{"statusCode":200}]`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "string", result: `"hello"`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "number", result: `200`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "null", result: `null`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "not JSON", result: `statusCode: 200`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "trailing garbage", result: `{"statusCode":200} x`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "two objects", result: `{"statusCode":200}{"statusCode":200}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "trailing comma", result: `{"statusCode":200,}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "unterminated object", result: `{"statusCode":200`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "single quotes", result: `{'statusCode':200}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "missing colon", result: `{"statusCode" 200}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "unterminated string", result: `{"statusCode":200,"body":"abc}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "invalid escape", result: `{"statusCode":200,"body":"a\x"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "short unicode escape", result: `{"statusCode":200,"body":"a\u12"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "raw newline in string", result: "{\"statusCode\":200,\"body\":\"a\nb\"}", opts: optsV1, wantErr: ErrMalformedResult},
	{name: "raw NUL in string", result: "{\"statusCode\":200,\"body\":\"a\x00b\"}", opts: optsV1, wantErr: ErrMalformedResult},
	{name: "invalid JSON in unknown key", result: `{"statusCode":200,"x":[1,]}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "leading zero in unknown key", result: `{"statusCode":200,"x":01}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "bad literal", result: `{"statusCode":200,"x":nul}`, opts: optsV1, wantErr: ErrMalformedResult},

	{name: "body object", result: `{"statusCode":200,"body":{"a":1}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "body number", result: `{"statusCode":200,"body":1}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "body array", result: `{"statusCode":200,"body":["a"]}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "body bool", result: `{"statusCode":200,"body":false}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "headers array", result: `{"statusCode":200,"headers":["a"]}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "headers string", result: `{"statusCode":200,"headers":"a: b"}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "multiValueHeaders array", result: `{"statusCode":200,"multiValueHeaders":[]}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "isBase64Encoded string", result: `{"statusCode":200,"isBase64Encoded":"true"}`, opts: optsV1, wantErr: ErrMalformedResult},

	{name: "body escapes", opts: optsV1,
		result: `{"statusCode":200,"body":"l1\nl2\t\"q\" \\ \/ \b\f\r \u00e9 \u20AC \ud83d\ude00 \u003chtml\u003e \u0000"}`,
		status: 200, headers: []string{ctJSON}, body: "l1\nl2\t\"q\" \\ / \b\f\r é € 😀 <html> \x00"},
	{name: "lone surrogates become U+FFFD", opts: optsV1,
		result: `{"statusCode":200,"body":"\ud83d \ude00 \ud83d\u0041"}`,
		status: 200, headers: []string{ctJSON}, body: "\uFFFD \uFFFD \uFFFDA"},
	{name: "raw UTF-8 kept", opts: optsV1, result: `{"statusCode":200,"body":"héllo 😀"}`,
		status: 200, headers: []string{ctJSON}, body: "héllo 😀"},

	{name: "headers", opts: optsV1,
		result:  `{"statusCode":200,"headers":{"X-One":"1","x-lower":"a","X-Num":42,"X-Float":1.5e3,"X-Bool":true,"X-False":false,"X-Null":null}}`,
		status:  200,
		headers: []string{ctJSON, "X-One: 1", "x-lower: a", "X-Num: 42", "X-Float: 1.5e3", "X-Bool: true", "X-False: false"}},
	{name: "escaped header name and value", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-\u0041b":"caf\u00e9 \"x\""}}`,
		status: 200, headers: []string{ctJSON, "X-Ab: café \"x\""}},
	{name: "header object value", result: `{"statusCode":200,"headers":{"X-A":{"b":1}}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "header array value", result: `{"statusCode":200,"headers":{"X-A":["b"]}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "header name with space", result: `{"statusCode":200,"headers":{"X A":"b"}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "header name with colon", result: `{"statusCode":200,"headers":{"X-A: b\r\nX-Evil":"c"}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "empty header name", result: `{"statusCode":200,"headers":{"":"b"}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "CR LF in value neutralised", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-A":"b\r\nX-Evil: 1"}}`,
		status: 200, headers: []string{ctJSON, "X-A: b  X-Evil: 1"}},

	{name: "multiValueHeaders", opts: optsV1,
		result: `{"statusCode":200,"multiValueHeaders":{"X-A":["1","2"],"X-B":[],"X-C":null,"X-D":[null,3,false]}}`,
		status: 200, headers: []string{ctJSON, "X-A: 1", "X-A: 2", "X-D: 3", "X-D: false"}},
	{name: "multiValueHeaders string value", result: `{"statusCode":200,"multiValueHeaders":{"X-A":"1"}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "multiValueHeaders object element", result: `{"statusCode":200,"multiValueHeaders":{"X-A":[{}]}}`, opts: optsV1, wantErr: ErrMalformedResult},
	{name: "multiValueHeaders nested array", result: `{"statusCode":200,"multiValueHeaders":{"X-A":[["1"]]}}`, opts: optsV1, wantErr: ErrMalformedResult},

	{name: "merge: shared pair appears once", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-A":"2","X-B":"3"},"multiValueHeaders":{"X-A":["1","2"]}}`,
		status: 200, headers: []string{ctJSON, "X-A: 1", "X-A: 2", "X-B: 3"}},
	{name: "merge: names compared ignoring case", opts: optsV1,
		result: `{"statusCode":200,"multiValueHeaders":{"X-A":["1","2"]},"headers":{"x-a":"2"}}`,
		status: 200, headers: []string{ctJSON, "X-A: 1", "X-A: 2"}},
	{name: "merge: values compared exactly", opts: optsV1,
		result: `{"statusCode":200,"multiValueHeaders":{"X-A":["abc"]},"headers":{"X-A":"ABC"}}`,
		status: 200, headers: []string{ctJSON, "X-A: abc", "X-A: ABC"}},
	{name: "merge: multiValueHeaders first whatever the key order", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-A":"3"},"multiValueHeaders":{"X-A":["1"]}}`,
		status: 200, headers: []string{ctJSON, "X-A: 1", "X-A: 3"}},
	{name: "merge: escaped copies compare unescaped", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-\u0041":"\u0031"},"multiValueHeaders":{"x-a":["1"],"X-A":[null,"2"]}}`,
		status: 200, headers: []string{ctJSON, "x-a: 1", "X-A: 2"}},
	{name: "merge: number equals its text", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-N":"1"},"multiValueHeaders":{"X-N":[1]}}`,
		status: 200, headers: []string{ctJSON, "X-N: 1"}},
	{name: "merge: null multi list does not hide header", opts: optsV1,
		result: `{"statusCode":200,"headers":{"X-A":"1"},"multiValueHeaders":{"X-A":null}}`,
		status: 200, headers: []string{ctJSON, "X-A: 1"}},

	{name: "content type from headers", opts: optsV1,
		result: `{"statusCode":200,"headers":{"content-type":"text/html; charset=utf-8"},"body":"<p>"}`,
		status: 200, headers: []string{"Content-Type: text/html; charset=utf-8"}, body: "<p>"},
	{name: "content type from multiValueHeaders", opts: optsV1,
		result: `{"statusCode":200,"multiValueHeaders":{"Content-Type":["image/png"]}}`,
		status: 200, headers: []string{"Content-Type: image/png"}},
	{name: "empty content type gets the default", opts: optsV1,
		result: `{"statusCode":200,"headers":{"Content-Type":""}}`,
		status: 200, headers: []string{ctJSON}},
	{name: "framing headers dropped", opts: optsV1,
		result: `{"statusCode":200,"headers":{"Content-Length":"999","transfer-encoding":"chunked","CONNECTION":"close","Keep-Alive":"timeout=5","upgrade":"h2c","Trailer":"X-T","X-Kept":"yes"},` +
			`"multiValueHeaders":{"Content-Length":["1"],"Connection":["keep-alive"],"Upgrade-Insecure-Requests":["1"]},"body":"abc"}`,
		status: 200, headers: []string{ctJSON, "Upgrade-Insecure-Requests: 1", "X-Kept: yes"}, body: "abc"},
	{name: "set-cookie values kept", opts: optsV1,
		result: `{"statusCode":200,"multiValueHeaders":{"Set-Cookie":["a=1; Path=/","a=2; Path=/x"]},"headers":{"set-cookie":"b=3"}}`,
		status: 200, headers: []string{ctJSON, "Set-Cookie: a=1; Path=/", "Set-Cookie: a=2; Path=/x", "Set-Cookie: b=3"}},

	{name: "base64 decoded", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w=="}`,
		status: 200, headers: []string{ctJSON}, body: "\x00\x01\x02\xff"},
	{name: "base64 unpadded", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w"}`,
		status: 200, headers: []string{ctJSON}, body: "\x00\x01\x02\xff"},
	{name: "base64 with escaped slash and line breaks", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"aGVs\r\nbG8\/"}`,
		status: 200, headers: []string{ctJSON}, body: "hello?"},
	{name: "base64 empty body", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":""}`,
		status: 200, headers: []string{ctJSON}},
	{name: "base64 null body", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":null}`,
		status: 200, headers: []string{ctJSON}},
	{name: "base64 not decoded without DecodeBase64", opts: optsV1,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w=="}`,
		status: 200, headers: []string{ctJSON}, body: "AAEC/w=="},
	{name: "base64 invalid not checked without DecodeBase64", opts: optsV1,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"*not base64*"}`,
		status: 200, headers: []string{ctJSON}, body: "*not base64*"},
	{name: "not marked base64", opts: optsV1Binary,
		result: `{"statusCode":200,"isBase64Encoded":false,"body":"AAEC/w=="}`,
		status: 200, headers: []string{ctJSON}, body: "AAEC/w=="},
	{name: "base64 invalid", result: `{"statusCode":200,"isBase64Encoded":true,"body":"*not base64*"}`, opts: optsV1Binary, wantErr: ErrBadBase64},
	{name: "base64 URL alphabet", result: `{"statusCode":200,"isBase64Encoded":true,"body":"AAEC_w=="}`, opts: optsV1Binary, wantErr: ErrBadBase64},
	{name: "base64 bad padding", result: `{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w="}`, opts: optsV1Binary, wantErr: ErrBadBase64},
	{name: "malformed header wins over bad base64", result: `{"statusCode":200,"isBase64Encoded":true,"body":"*","headers":{"X":[]}}`, opts: optsV1Binary, wantErr: ErrMalformedResult},

	{name: "merge work is bounded", opts: optsV1,
		result:  `{"statusCode":200,"multiValueHeaders":{` + manyHeaders(1100, `["v"]`) + `},"headers":{` + manyHeaders(1100, `"w"`) + `}}`,
		wantErr: ErrMalformedResult},
	{name: "merge of 100 names each", opts: optsV1,
		result:  `{"statusCode":200,"multiValueHeaders":{` + manyHeaders(100, `["v"]`) + `},"headers":{` + manyHeaders(100, `"v"`) + `}}`,
		status:  200,
		headers: append([]string{ctJSON}, manyHeaderLines(100, "v")...)},
	{name: "nesting 10000 in unknown key", opts: optsV1,
		result: `{"statusCode":200,"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		status: 200, headers: []string{ctJSON}},
	{name: "nesting 10001 in unknown key", opts: optsV1,
		result:  `{"statusCode":200,"x":` + strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001) + `}`,
		wantErr: ErrMalformedResult},
	{name: "nesting 1000000 unterminated", opts: optsV1,
		result:  `{"statusCode":200,"x":` + strings.Repeat("[", 1000000),
		wantErr: ErrMalformedResult},
}

// manyHeaders returns n members "X-0": value, "X-1": value, ...
func manyHeaders(n int, value string) string {
	members := make([]string, n)
	for i := range members {
		members[i] = `"X-` + strconv.Itoa(i) + `":` + value
	}
	return strings.Join(members, ",")
}

func manyHeaderLines(n int, value string) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = "X-" + strconv.Itoa(i) + ": " + value
	}
	return lines
}

func TestWriteResultV1(t *testing.T) {
	runResultCases(t, WriteResultV1, resultV1Cases)
}

var resultV2Cases = []resultCase{
	{name: "explicit minimal", result: `{"statusCode":204}`, opts: optsV2, status: 204, headers: []string{"Content-Type: text/plain; charset=utf-8"}},
	{name: "explicit full", opts: optsV2,
		result: `{"cookies":["a=1; Path=/","b=2"],"isBase64Encoded":false,"statusCode":201,"headers":{"Content-Type":"application/xml","X-A":"1, 2"},"body":"<a/>"}`,
		status: 201, headers: []string{"Content-Type: application/xml", "Set-Cookie: a=1; Path=/", "Set-Cookie: b=2", "X-A: 1, 2"}, body: "<a/>"},
	{name: "status as string", result: `{"statusCode":"418"}`, opts: optsV2, status: 418, headers: []string{"Content-Type: text/plain; charset=utf-8"}},
	{name: "aws-lambda-go nulls", opts: optsV2,
		result: `{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":"hi","cookies":null}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8"}, body: "hi"},
	{name: "multiValueHeaders ignored", opts: optsV2,
		result: `{"statusCode":200,"multiValueHeaders":{"Content-Type":["application/json"],"X-A":["1"]},"body":"x"}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8"}, body: "x"},
	{name: "multiValueHeaders of any type ignored", opts: optsV2,
		result: `{"statusCode":200,"multiValueHeaders":"nonsense"}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8"}},
	{name: "header scalars", opts: optsV2,
		result: `{"statusCode":200,"headers":{"X-N":7,"X-B":false,"X-Null":null,"x-Mixed-CASE":"v"}}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8", "X-N: 7", "X-B: false", "x-Mixed-CASE: v"}},
	{name: "framing headers dropped", opts: optsV2,
		result: `{"statusCode":200,"headers":{"content-length":"5","Transfer-Encoding":"chunked","Connection":"upgrade","keep-alive":"1","Upgrade":"websocket","trailer":"x"},"body":"abc"}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8"}, body: "abc"},
	{name: "cookies nulls and empties skipped", opts: optsV2,
		result: `{"statusCode":200,"cookies":[null,"","c=3"]}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8", "Set-Cookie: c=3"}},
	{name: "cookies escaped", opts: optsV2,
		result: `{"statusCode":200,"cookies":["q=\"a b\"; Path=\/"]}`,
		status: 200, headers: []string{"Content-Type: text/plain; charset=utf-8", `Set-Cookie: q="a b"; Path=/`}},
	{name: "base64 decoded", opts: optsV2,
		result: `{"statusCode":200,"isBase64Encoded":true,"body":"aGVsbG8=","headers":{"Content-Type":"application/octet-stream"}}`,
		status: 200, headers: []string{"Content-Type: application/octet-stream"}, body: "hello"},
	{name: "base64 invalid", result: `{"statusCode":200,"isBase64Encoded":true,"body":"!!"}`, opts: optsV2, wantErr: ErrBadBase64},
	{name: "nested statusCode does not count", opts: optsV2,
		result: `{"data":{"statusCode":500}}`,
		status: 200, headers: []string{ctJSON}, body: `{"data":{"statusCode":500}}`},
	{name: "escaped statusCode key counts", opts: optsV2,
		result: `{"status\u0043ode":201}`,
		status: 201, headers: []string{"Content-Type: text/plain; charset=utf-8"}},

	{name: "status null", result: `{"statusCode":null}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "status out of range", result: `{"statusCode":1000}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "status 100", result: `{"statusCode":100}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "status 101", result: `{"statusCode":101,"headers":{"Upgrade":"websocket"}}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "status 199", result: `{"statusCode":"199"}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "status fraction", result: `{"statusCode":200.5}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "body object", result: `{"statusCode":200,"body":{"a":1}}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "header array value", result: `{"statusCode":200,"headers":{"X-A":["1"]}}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "header bad name", result: `{"statusCode":200,"headers":{"X(A)":"1"}}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "headers array", result: `{"statusCode":200,"headers":[]}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "cookies string", result: `{"statusCode":200,"cookies":"a=1"}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "cookies object", result: `{"statusCode":200,"cookies":{"a":"1"}}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "cookie number", result: `{"statusCode":200,"cookies":[1]}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "isBase64Encoded number", result: `{"statusCode":200,"isBase64Encoded":1}`, opts: optsV2, wantErr: ErrMalformedResult},

	{name: "inferred object", opts: optsV2,
		result: "  { \"message\": \"Hello from Lambda!\" }\n",
		status: 200, headers: []string{ctJSON}, body: `{ "message": "Hello from Lambda!" }`},
	{name: "inferred object keeps escapes", opts: optsV2,
		result: `{"m":"a\"b\u00e9"}`,
		status: 200, headers: []string{ctJSON}, body: `{"m":"a\"b\u00e9"}`},
	{name: "inferred empty object", result: `{}`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: `{}`},
	{name: "inferred string", result: `"Hello from Lambda!"`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: "Hello from Lambda!"},
	{name: "inferred string unescaped", result: ` "a\"b\n\u00e9" `, opts: optsV2, status: 200, headers: []string{ctJSON}, body: "a\"b\né"},
	{name: "inferred empty string", result: `""`, opts: optsV2, status: 200, headers: []string{ctJSON}},
	{name: "inferred number", result: "\t-1.5e+3\n", opts: optsV2, status: 200, headers: []string{ctJSON}, body: "-1.5e+3"},
	{name: "inferred array", result: `[1, "two", {"statusCode":200}]`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: `[1, "two", {"statusCode":200}]`},
	{name: "inferred true", result: `true`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: "true"},
	{name: "inferred false", result: `false`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: "false"},
	{name: "inferred null", result: `null`, opts: optsV2, status: 200, headers: []string{ctJSON}, body: "null"},
	{name: "inferred ignores DefaultContentType and base64", result: `{"isBase64Encoded":true,"body":"aGk="}`, opts: optsV2,
		status: 200, headers: []string{ctJSON}, body: `{"isBase64Encoded":true,"body":"aGk="}`},

	{name: "empty", result: ``, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "only whitespace", result: "\r\n ", opts: optsV2, wantErr: ErrMalformedResult},
	{name: "plain text", result: `Hello from Lambda!`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "unterminated string", result: `"abc`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "unterminated object", result: `{"a":1`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "trailing comma in array", result: `[1,]`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "leading comma in array", result: `[,1]`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "leading zero", result: `01`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "bare minus", result: `-`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "trailing data after object", result: `{"a":1}x`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "trailing data after string", result: `"a" "b"`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "trailing data after explicit", result: `{"statusCode":200} 1`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "truthy", result: `truthy`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "byte order mark", result: "\xef\xbb\xbf{}", opts: optsV2, wantErr: ErrMalformedResult},
	{name: "invalid escape in inferred", result: `{"a":"\q"}`, opts: optsV2, wantErr: ErrMalformedResult},
	{name: "nesting 10001", result: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), opts: optsV2, wantErr: ErrMalformedResult},
	{name: "nesting 10000", result: strings.Repeat("[", 10000) + strings.Repeat("]", 10000), opts: optsV2,
		status: 200, headers: []string{ctJSON}, body: strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
}

func TestWriteResultV2(t *testing.T) {
	runResultCases(t, WriteResultV2, resultV2Cases)
}

func TestWriteResultNilOptions(t *testing.T) {
	resp := newResultResponse()
	if err := WriteResultV1([]byte(`{"statusCode":200,"isBase64Encoded":true,"body":"aGk="}`), resp, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Body()); got != "aGk=" {
		t.Errorf("got body %q, want the base64 text", got)
	}
	resp = newResultResponse()
	if err := WriteResultV2([]byte(`{"statusCode":200}`), resp, nil); err != nil {
		t.Fatal(err)
	}
}

func TestWriteResultErrorReason(t *testing.T) {
	for _, c := range []struct {
		name, result, want string
		write              func([]byte, *fasthttp.Response, *ResultOptions) error
	}{
		{"status type", `{"statusCode":true}`, "mapping: malformed proxy result: statusCode is not an integer", WriteResultV1},
		{"status range", `{"statusCode":700}`, "mapping: malformed proxy result: statusCode 700 is out of range 200..599", WriteResultV1},
		{"informational status", `{"statusCode":101}`, "mapping: malformed proxy result: statusCode 101 is out of range 200..599", WriteResultV2},
		{"missing", `{}`, "mapping: malformed proxy result: statusCode is missing", WriteResultV1},
		{"syntax", `{"statusCode":200,}`, "mapping: malformed proxy result: invalid character '}' at offset 18", WriteResultV1},
		{"eof", `{"statusCode":`, "mapping: malformed proxy result: unexpected end of JSON input at offset 14", WriteResultV1},
		{"header", `{"statusCode":200,"headers":{"X":{}}}`, `mapping: malformed proxy result: value of header "X" is not a string`, WriteResultV2},
		{"cookie", `{"statusCode":200,"cookies":[true]}`, "mapping: malformed proxy result: cookies item true is not a string", WriteResultV2},
		{"base64", `{"statusCode":200,"isBase64Encoded":true,"body":"a"}`, "mapping: result body is not valid base64: illegal base64 data at input byte 0", WriteResultV2},
		// A result's own text is quoted in logs: only a bounded prefix of it.
		{"long header name", `{"statusCode":200,"headers":{"` + strings.Repeat("a b", 1e5) + `":"v"}}`,
			`mapping: malformed proxy result: header name "` + strings.Repeat("a b", 33) + `a" is not a valid HTTP token`, WriteResultV2},
		{"long status", `{"statusCode":` + strings.Repeat("9", 1e5) + `}`,
			"mapping: malformed proxy result: statusCode " + strings.Repeat("9", 40) + " is out of range 200..599", WriteResultV1},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.write([]byte(c.result), newResultResponse(), &optsV2)
			if err == nil || err.Error() != c.want {
				t.Errorf("got error %v, want %q", err, c.want)
			}
		})
	}
}

// TestWriteResultWire serialises responses and checks the raw header lines,
// so that fasthttp's cookie handling is known to keep each Set-Cookie value
// byte for byte (attribute order, duplicate names, odd spacing).
func TestWriteResultWire(t *testing.T) {
	cookies := []string{
		"b=2; Secure; HttpOnly; Path=/; SameSite=Lax; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
		"a=1; Path=/x",
		"a=2; Path=/y",
		"weird=x=y;Max-Age=0;  domain=Example.COM",
		"noequals; path=/",
		"__Host-id=abc%20def",
	}
	rawCookies, _ := json.Marshal(cookies)

	for _, c := range []struct {
		name   string
		write  func([]byte, *fasthttp.Response, *ResultOptions) error
		opts   ResultOptions
		result string
		want   []string // header lines in order, without the Date line
	}{
		{
			name:  "v2 cookies",
			write: WriteResultV2, opts: optsV2,
			result: `{"statusCode":200,"cookies":` + string(rawCookies) + `,"headers":{"X-Request":"r1","content-length":"1"},"body":"hello"}`,
			want: append([]string{
				"HTTP/1.1 200 OK",
				"Content-Type: text/plain; charset=utf-8",
				"Content-Length: 5",
				"X-Request: r1",
			}, prefixEach("Set-Cookie: ", cookies)...),
		},
		{
			name:  "v1 multiValueHeaders cookies",
			write: WriteResultV1, opts: optsV1,
			result: `{"statusCode":302,"multiValueHeaders":{"Set-Cookie":` + string(rawCookies) + `,"Location":["/next"]},"headers":{"Set-Cookie":"a=1; Path=/x","Transfer-Encoding":"chunked"}}`,
			want: append([]string{
				"HTTP/1.1 302 Found",
				"Content-Type: application/json",
				"Content-Length: 0",
				"Location: /next",
			}, prefixEach("Set-Cookie: ", cookies)...),
		},
		{
			name:  "v1 header case kept",
			write: WriteResultV1, opts: optsV1,
			result: `{"statusCode":200,"headers":{"x-lower":"1","X-UPPER":"2","X-Mixed-Case":"3","Content-Type":"text/csv"},"body":"a,b"}`,
			want: []string{
				"HTTP/1.1 200 OK",
				"Content-Type: text/csv",
				"Content-Length: 3",
				"x-lower: 1",
				"X-UPPER: 2",
				"X-Mixed-Case: 3",
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := newResultResponse()
			if err := c.write([]byte(c.result), resp, &c.opts); err != nil {
				t.Fatal(err)
			}
			head, body, ok := strings.Cut(resp.String(), "\r\n\r\n")
			if !ok {
				t.Fatalf("no end of header in %q", resp.String())
			}
			var got []string
			for line := range strings.SplitSeq(head, "\r\n") {
				if !strings.HasPrefix(line, "Date: ") {
					got = append(got, line)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got header lines\n\t%q\nwant\n\t%q", got, c.want)
			}
			if want := string(resp.Body()); body != want {
				t.Errorf("got wire body %q, want %q", body, want)
			}
		})
	}
}

func prefixEach(prefix string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = prefix + v
	}
	return out
}

// TestWriteResultAWSLambdaGo decodes what aws-lambda-go handlers return: the
// events structs marshalled by encoding/json, which writes
// "headers":null, "multiValueHeaders":null and "cookies":null when unset and
// escapes <, > and & in the body.
func TestWriteResultAWSLambdaGo(t *testing.T) {
	t.Run("v1 zero", func(t *testing.T) {
		raw, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200})
		if !strings.Contains(string(raw), `"headers":null,"multiValueHeaders":null`) {
			t.Fatalf("aws-lambda-go no longer writes null maps: %s", raw)
		}
		resp := newResultResponse()
		if err := WriteResultV1(raw, resp, &optsV1); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != 200 || len(resp.Body()) != 0 || string(resp.Header.ContentType()) != "application/json" {
			t.Errorf("got %d %q %q", resp.StatusCode(), resp.Header.ContentType(), resp.Body())
		}
	})
	t.Run("v1 full", func(t *testing.T) {
		raw, _ := json.Marshal(events.APIGatewayProxyResponse{
			StatusCode:        201,
			Headers:           map[string]string{"Content-Type": "text/html", "X-A": "1"},
			MultiValueHeaders: map[string][]string{"X-A": {"1", "2"}, "Set-Cookie": {"a=1", "b=2"}},
			Body:              "<p>Tom & Jerry</p>",
		})
		resp := newResultResponse()
		if err := WriteResultV1(raw, resp, &optsV1); err != nil {
			t.Fatal(err)
		}
		if got, want := string(resp.Body()), "<p>Tom & Jerry</p>"; got != want {
			t.Errorf("got body %q, want %q", got, want)
		}
		if got := string(resp.Header.ContentType()); got != "text/html" {
			t.Errorf("got content type %q", got)
		}
		if got := peekAll(resp, "X-A"); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("got X-A %q, want [1 2]", got)
		}
		if got := peekAll(resp, "Set-Cookie"); !slices.Equal(got, []string{"a=1", "b=2"}) {
			t.Errorf("got Set-Cookie %q", got)
		}
	})
	t.Run("v1 binary", func(t *testing.T) {
		payload := []byte{0, 1, 2, 0xfe, 0xff}
		raw, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString(payload), IsBase64Encoded: true})
		resp := newResultResponse()
		if err := WriteResultV1(raw, resp, &optsV1Binary); err != nil {
			t.Fatal(err)
		}
		if got := resp.Body(); string(got) != string(payload) {
			t.Errorf("got body %q, want %q", got, payload)
		}
	})
	t.Run("v2 zero", func(t *testing.T) {
		raw, _ := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200})
		if !strings.Contains(string(raw), `"cookies":null`) {
			t.Fatalf("aws-lambda-go no longer writes null cookies: %s", raw)
		}
		resp := newResultResponse()
		if err := WriteResultV2(raw, resp, &optsV2); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != 200 || string(resp.Header.ContentType()) != "text/plain; charset=utf-8" {
			t.Errorf("got %d %q", resp.StatusCode(), resp.Header.ContentType())
		}
	})
	t.Run("v2 full", func(t *testing.T) {
		raw, _ := json.Marshal(events.APIGatewayV2HTTPResponse{
			StatusCode:        200,
			Headers:           map[string]string{"Content-Type": "application/json"},
			MultiValueHeaders: map[string][]string{"X-Ignored": {"1"}},
			Body:              `{"a":"<b>"}`,
			Cookies:           []string{"s=1; HttpOnly", "t=2; Max-Age=60"},
			IsBase64Encoded:   false,
		})
		resp := newResultResponse()
		if err := WriteResultV2(raw, resp, &optsV2); err != nil {
			t.Fatal(err)
		}
		if got := string(resp.Body()); got != `{"a":"<b>"}` {
			t.Errorf("got body %q", got)
		}
		if got := peekAll(resp, "Set-Cookie"); !slices.Equal(got, []string{"s=1; HttpOnly", "t=2; Max-Age=60"}) {
			t.Errorf("got Set-Cookie %q", got)
		}
		if got := peekAll(resp, "X-Ignored"); len(got) != 0 {
			t.Errorf("got X-Ignored %q, want none", got)
		}
	})
}

func peekAll(resp *fasthttp.Response, name string) []string {
	var got []string
	for k, v := range resp.Header.All() {
		if strings.EqualFold(string(k), name) {
			got = append(got, string(v))
		}
	}
	return got
}

// TestWriteResultAWSExample decodes aws-lambda-go's sample REST response
// from the shared fixtures.
func TestWriteResultAWSExample(t *testing.T) {
	path := filepath.Join("testdata", "aws-examples", "lambda-go.apigw-response.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want events.APIGatewayProxyResponse
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	resp := newResultResponse()
	if err := WriteResultV1(raw, resp, &optsV1); err != nil {
		t.Fatal(err)
	}
	if got := resp.StatusCode(); got != want.StatusCode {
		t.Errorf("got status %d, want %d", got, want.StatusCode)
	}
	if got := string(resp.Body()); got != want.Body {
		t.Errorf("got body %q, want %q", got, want.Body)
	}
	// Every name is in both maps with the same value, so each appears once.
	for name, values := range want.MultiValueHeaders {
		if got := peekAll(resp, name); !slices.Equal(got, values) {
			t.Errorf("header %s: got %q, want %q", name, got, values)
		}
	}
	n := 0
	for range resp.Header.All() {
		n++
	}
	if want := len(want.MultiValueHeaders) + 1; n != want { // + Content-Type
		t.Errorf("got %d headers, want %d", n, want)
	}
}

// TestWriteResultReuse checks that pooled scratch space does not leak one
// call's data into the next.
func TestWriteResultReuse(t *testing.T) {
	resp := newResultResponse()
	first := `{"statusCode":200,"headers":{"X-\u0041":"\u0031"},"multiValueHeaders":{"x-\u0061":["\u0031","2"]},"body":"\u0041\u0042\u0043"}`
	second := `{"statusCode":201,"headers":{"X-B":"3"},"body":"d"}`
	for range 3 {
		resp.Reset()
		resp.Header.DisableNormalizing()
		if err := WriteResultV1([]byte(first), resp, &optsV1); err != nil {
			t.Fatal(err)
		}
		if got := resultHeaders(resp); !slices.Equal(got, []string{ctJSON, "x-a: 1", "x-a: 2"}) {
			t.Errorf("first: got headers %q", got)
		}
		if string(resp.Body()) != "ABC" {
			t.Errorf("first: got body %q", resp.Body())
		}
		resp.Reset()
		resp.Header.DisableNormalizing()
		if err := WriteResultV1([]byte(second), resp, &optsV1); err != nil {
			t.Fatal(err)
		}
		if got := resultHeaders(resp); !slices.Equal(got, []string{ctJSON, "X-B: 3"}) {
			t.Errorf("second: got headers %q", got)
		}
		if string(resp.Body()) != "d" {
			t.Errorf("second: got body %q", resp.Body())
		}
	}
}

func ExampleWriteResultV1() {
	result := []byte(`{"statusCode":201,"headers":{"X-A":"2"},"multiValueHeaders":{"X-A":["1","2"]},"body":"created"}`)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if err := WriteResultV1(result, resp, &ResultOptions{DefaultContentType: "application/json"}); err != nil {
		// resp is untouched: answer as REST does (an HTTP API answers 500).
		resp.SetStatusCode(fasthttp.StatusBadGateway)
		return
	}
	fmt.Println(resp.StatusCode(), string(resp.Header.ContentType()), string(resp.Body()))
	for _, v := range resp.Header.PeekAll("X-A") {
		fmt.Println("X-A:", string(v))
	}
	// Output:
	// 201 application/json created
	// X-A: 1
	// X-A: 2
}

func ExampleWriteResultV2() {
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	opts := &ResultOptions{DecodeBase64: true, DefaultContentType: "text/plain; charset=utf-8"}
	for _, result := range []string{
		`{"statusCode":200,"cookies":["a=1; Path=/"],"body":"aGk=","isBase64Encoded":true}`,
		`"Hello from Lambda!"`,
		`{"message":"Hello from Lambda!"}`,
	} {
		resp.Reset()
		if err := WriteResultV2([]byte(result), resp, opts); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(resp.StatusCode(), string(resp.Header.ContentType()), string(resp.Body()))
	}
	// Output:
	// 200 text/plain; charset=utf-8 hi
	// 200 application/json Hello from Lambda!
	// 200 application/json {"message":"Hello from Lambda!"}
}

// A result that turns out malformed half-way (after headers that were
// fine) must leave the response as the caller had it: the gateway's own
// headers stay, and none of the function's get through.
func TestWriteResultErrorLeavesResponse(t *testing.T) {
	for _, c := range []struct {
		name, result string
		write        func([]byte, *fasthttp.Response, *ResultOptions) error
	}{
		{"v1 bad multiValueHeaders after headers", `{"statusCode":201,"headers":{"X-Fn":"a"},"multiValueHeaders":{"X-Fn":["a"],"X-M":"b"},"body":"x"}`, WriteResultV1},
		{"v1 bad header name after good ones", `{"statusCode":201,"multiValueHeaders":{"X-Fn":["a"]},"headers":{"X-Fn2":"b","X(B)":"c"}}`, WriteResultV1},
		{"v1 bad base64", `{"statusCode":201,"headers":{"X-Fn":"a"},"isBase64Encoded":true,"body":"!!"}`, WriteResultV1},
		{"v2 bad header value after good ones", `{"statusCode":201,"headers":{"X-Fn":"a","X-Bad":{}}}`, WriteResultV2},
		{"v2 bad cookie after good ones", `{"statusCode":201,"headers":{"X-Fn":"a"},"cookies":["a=1",true]}`, WriteResultV2},
		{"v2 bad base64", `{"statusCode":201,"headers":{"X-Fn":"a"},"cookies":["a=1"],"isBase64Encoded":true,"body":"!!"}`, WriteResultV2},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := newResultResponse()
			resp.Header.SetNoDefaultContentType(true) // as the gateway's server
			resp.Header.Set("RateLimit", `"throttle";r=1;t=1`)
			if err := c.write([]byte(c.result), resp, &optsV1Binary); err == nil {
				t.Fatal("got no error")
			}
			if got := resultHeaders(resp); !slices.Equal(got, []string{`RateLimit: "throttle";r=1;t=1`}) {
				t.Errorf("got headers %q, want only the caller's", got)
			}
			if resp.StatusCode() != 200 || len(resp.Body()) != 0 {
				t.Errorf("got status %d body %q, want the response untouched", resp.StatusCode(), resp.Body())
			}
		})
	}
}
