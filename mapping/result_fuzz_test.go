package mapping

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// resultFuzzSeeds are results of both formats, valid and not.
var resultFuzzSeeds = []string{
	`{"statusCode":200}`,
	`{"statusCode":"404","body":null,"headers":null,"multiValueHeaders":null}`,
	`{"statusCode":200,"headers":{"X-A":"1","Content-Type":"text/html","Content-Length":"3"},"multiValueHeaders":{"x-a":["1","2"],"Set-Cookie":["a=1","b=2"]},"body":"<p>\u00e9\ud83d\ude00</p>"}`,
	`{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w=="}`,
	`{"statusCode":200,"isBase64Encoded":true,"body":"AAEC/w"}`,
	`{"cookies":["a=1; Path=/","b=2"],"isBase64Encoded":false,"statusCode":201,"headers":{"X-N":1,"X-B":true,"X-Z":null},"body":"x"}`,
	`{"statusCode":200,"cookies":null,"multiValueHeaders":{"X":[{}]}}`,
	`{"message":"Hello from Lambda!"}`,
	`"Hello from Lambda!"`,
	`[1,"two",{"statusCode":200}]`,
	`-1.5e+3`, `true`, `null`, ``, ` `, `{`, `{"statusCode":200,}`, `"\ud800"`, "\"\xff\"",
	`{"statusCode":200,"x":[[[[[[{"a":[]}]]]]]]}`,
	`{"statusCode":100}`, `{"statusCode":"101"}`, `{"statusCode":199,"body":"x"}`, `{"statusCode":600}`,
	`{"status\u0043ode":200,"headers":{"X-\u0041":"\u0031"}}`,
}

// fuzzResult runs write on data and checks the invariants every result
// must keep: no panic, only the documented errors, a status in 200..599,
// nothing accepted that is not JSON, and the v2 inference rule.
func fuzzResult(t *testing.T, write func([]byte, *fasthttp.Response, *ResultOptions) error, v2 bool, data []byte, decode bool) {
	resp := new(fasthttp.Response)
	resp.Header.DisableNormalizing()
	opts := ResultOptions{DecodeBase64: decode, DefaultContentType: "application/json"}
	err := write(data, resp, &opts)
	valid := json.Valid(data)
	if err != nil {
		if !errors.Is(err, ErrMalformedResult) && !errors.Is(err, ErrBadBase64) {
			t.Fatalf("%q: error %v wraps neither sentinel", data, err)
		}
		trimmed := strings.TrimLeft(string(data), " \t\r\n")
		if v2 && valid && !strings.HasPrefix(trimmed, "{") {
			t.Fatalf("%q: valid non-object JSON rejected: %v", data, err)
		}
		return
	}
	if !valid {
		t.Fatalf("%q: accepted invalid JSON", data)
	}
	if code := resp.StatusCode(); code < 200 || code > 599 {
		t.Fatalf("%q: got status %d", data, code)
	}
	for k := range resp.Header.All() {
		if isResultFramingHeader(k) {
			t.Fatalf("%q: framing header %q kept", data, k)
		}
	}
	if !v2 {
		return
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) == nil {
		if _, explicit := probe["statusCode"]; explicit {
			return
		}
	}
	want := strings.Trim(string(data), " \t\r\n")
	if strings.HasPrefix(want, `"`) {
		if !utf8.Valid(data) {
			return // encoding/json replaces invalid UTF-8; the scanner keeps it
		}
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
	}
	if got := string(resp.Body()); got != want {
		t.Fatalf("%q: inferred body %q, want %q", data, got, want)
	}
	if got := string(resp.Header.ContentType()); resp.StatusCode() != 200 || got != "application/json" {
		t.Fatalf("%q: inferred %d %q, want 200 application/json", data, resp.StatusCode(), got)
	}
}

func FuzzWriteResultV1(f *testing.F) {
	for _, s := range resultFuzzSeeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, decode bool) {
		fuzzResult(t, WriteResultV1, false, data, decode)
	})
}

func FuzzWriteResultV2(f *testing.F) {
	for _, s := range resultFuzzSeeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, decode bool) {
		fuzzResult(t, WriteResultV2, true, data, decode)
	})
}
