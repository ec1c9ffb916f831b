package admin

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"
)

// FuzzTryRequest: whatever the page posts to /api/try, a request that
// passes check goes to the gateway as exactly the one request it
// describes — its method, path, headers and body — and nothing the page
// wrote can split it into two or change where its body ends.
func FuzzTryRequest(f *testing.F) {
	for _, seed := range []string{
		`{"method":"GET","path":"/hello?x=1","headers":[["Accept","*/*"]],"body":""}`,
		`{"method":"POST","path":"/echo/a/b","headers":[["Content-Type","application/json"],["Host","example.com"]],"body":"{\"hi\":1}"}`,
		`{"method":"GET","path":"/x HTTP/1.1\r\nX: y","headers":[],"body":""}`,
		`{"method":"GET","path":"/x","headers":[["X","a\r\nContent-Length: 5"]],"body":"hello"}`,
		`{"method":"GET","path":"/x","headers":[["Content-Length","100"]],"body":""}`,
		`{"method":"GET","path":"//evil.example/x","headers":[],"body":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr tryRequest
		if json.Unmarshal(body, &tr) != nil || tr.check() != "" {
			return
		}
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		tr.fill(req, "127.0.0.1:8080")
		var wire bytes.Buffer
		w := bufio.NewWriter(&wire)
		if err := req.Write(w); err != nil {
			return // refused before anything is sent
		}
		w.Flush()
		r := bufio.NewReader(&wire)
		var got fasthttp.Request
		if err := got.Read(r); err != nil {
			t.Fatalf("the request sent does not parse: %v\n%q", err, wire.Bytes())
		}
		if r.Buffered() > 0 {
			t.Fatalf("%d bytes past the request: a second request in\n%q", r.Buffered(), wire.Bytes())
		}
		if string(got.Header.Method()) != tr.Method || string(got.Body()) != tr.Body {
			t.Fatalf("sent %s with body %q, want %s with %q", got.Header.Method(), got.Body(), tr.Method, tr.Body)
		}
		if uri := string(got.Header.RequestURI()); uri != tr.Path {
			t.Fatalf("sent path %q, want %q", uri, tr.Path)
		}
	})
}
