package invokeapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/backend"
)

// TestUnsignedRefusesBrowsers: without credentials, any web page the
// user visits could make the browser POST a "simple" cross-site request
// (text/plain, no preflight) to the loopback API and run a function, or
// queue an Event; the browser hides the answer, not the side effect. Such
// a request carries Origin, which no SDK or CLI sends: it is refused
// before the function runs. The SDK's own unsigned requests still work.
func TestUnsignedRefusesBrowsers(t *testing.T) {
	var ran atomic.Int32
	fns := testFunctions(t)
	fns["deploy"] = Function{Invoker: funcInvoker(func(_ context.Context, _ *backend.Invocation, dst []byte) ([]byte, error) {
		ran.Add(1)
		return append(dst, `"deployed"`...), nil
	})}
	q := &recordingQueue{}
	s := New(&Config{Listen: "127.0.0.1:0"}, fns, q, WithRegion(testRegion), WithAccount(testAccount))
	url := startServer(t, s)

	for _, typ := range []string{"", "Event"} {
		req, err := http.NewRequest("POST", url+"/2015-03-31/functions/deploy/invocations", strings.NewReader(`{"x":1}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if typ != "" {
			// Not a simple header, but a DNS-rebound page is same-origin
			// to the browser and sends Origin all the same.
			req.Header.Set("X-Amz-Invocation-Type", typ)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("type %q from a browser: got %d %s, want 403", typ, resp.StatusCode, body)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Errorf("the function ran %d times for a cross-site request", n)
	}
	if got := q.got(); len(got) != 0 {
		t.Errorf("a cross-site request queued %d events", len(got))
	}

	// A page on a name rebound to 127.0.0.1 is same-origin: its GET
	// carries no Origin, but names the page's host.
	resp := rawRequest(t, url, "GET /2015-03-31/functions/echo HTTP/1.1\r\nHost: rebound.evil.example:3001\r\n\r\n")
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 403 || strings.Contains(string(body), "GREETING") {
		t.Errorf("GetFunction for a rebound host name: got %d %s, want 403", resp.StatusCode, body)
	}
	for _, host := range []string{"127.0.0.1", "127.0.0.1:3001", "localhost:3001", "[::1]:3001", "[::1]"} {
		resp = rawRequest(t, url, "POST /2015-03-31/functions/deploy/invocations HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 2\r\n\r\n{}")
		if resp.StatusCode != 200 {
			t.Errorf("an unsigned request for host %s without Origin: got %d", host, resp.StatusCode)
		}
	}
	if n := ran.Load(); n != 5 {
		t.Errorf("the SDK-like requests ran the function %d times, want 5", n)
	}

	// allowUnsigned serves any host name: the API is meant for the network.
	open := New(&Config{Listen: "127.0.0.1:0", AllowUnsigned: true}, fns, q, WithRegion(testRegion), WithAccount(testAccount))
	resp = rawRequest(t, startServer(t, open), "GET /2015-03-31/functions/echo HTTP/1.1\r\nHost: portico.internal:3001\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("allowUnsigned, another host name: got %d", resp.StatusCode)
	}
}
