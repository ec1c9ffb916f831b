package mapping

import (
	"strings"
	"testing"
)

// typicalRequest has 10 headers, 3 query parameters and a 1 KB JSON body.
func typicalRequest(tb testing.TB) *Request {
	body := `{"data":"` + strings.Repeat("x", 1013) + `"}`
	raw := "POST /pets/42/toys?limit=10&sort=name&filter=red+ball HTTP/1.1\r\n" +
		"Host: api.example.com\r\nUser-Agent: bench/1.0\r\nAccept: application/json\r\n" +
		"Accept-Encoding: gzip\r\nAccept-Language: en-US\r\nAuthorization: Bearer abc.def.ghi\r\n" +
		"Content-Type: application/json\r\nX-Request-Id: 1234\r\nCookie: session=abc; theme=dark\r\n" +
		"Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	return testRequest(readRequest(tb, []byte(raw)), Param{Name: "id", Value: []byte("42")})
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func benchmarkAppendEvent(b *testing.B, rt Route) {
	route := testRoute(b, rt)
	req := typicalRequest(b)
	buf := AppendEvent(nil, route, req)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = AppendEvent(buf[:0], route, req)
	}
}

func BenchmarkAppendEventV2(b *testing.B) {
	benchmarkAppendEvent(b, Route{API: APIHTTP, Format: FormatV2, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"})
}

func BenchmarkAppendEventV1(b *testing.B) {
	benchmarkAppendEvent(b, Route{API: APIHTTP, Format: FormatV1, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"})
}

func BenchmarkAppendEventREST(b *testing.B) {
	benchmarkAppendEvent(b, Route{API: APIREST, Format: FormatV1, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"})
}
