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

	resp := rawRequest(t, url, "POST /2015-03-31/functions/deploy/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if resp.StatusCode != 200 || ran.Load() != 1 {
		t.Errorf("an unsigned request without Origin: got %d, ran %d times", resp.StatusCode, ran.Load())
	}
}
