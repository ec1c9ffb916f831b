//go:build !race

package gateway

import (
	"bufio"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestHandlerAllocs holds the request path (route match, 2.0 event, mock
// invoker, result decoding, ids, metrics, access log line) to its budget:
// no allocation per request once pools are warm.
func TestHandlerAllocs(t *testing.T) {
	t.Run("access log off", func(t *testing.T) { testHandlerAllocs(t) })
	t.Run("access log on", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "access.log")
		log, al := newAccessLogger(t, file)
		testHandlerAllocs(t, WithLogger(log))
		if err := al.Sync(); err != nil {
			t.Fatal(err)
		}
		// Two routes, each served once and then 500 times under
		// AllocsPerRun (which runs once more to warm up).
		if got, want := countLines(t, file), 2*502; got != want {
			t.Errorf("got %d access log lines, want %d", got, want)
		}
	})
}

func testHandlerAllocs(t *testing.T, opts ...Option) {
	g := loadTestGateway(t, `
throttle: {rate: 1000000, burst: 1000000, key: ip}
authorizers: {keys: {type: apikey}}
apiKeys: [{name: k, value: "kkkkkkkkkkkkkkkkkkkkkkkk", usagePlan: p}]
usagePlans: {p: {throttle: {rate: 1000000, burst: 1000000}, quota: {limit: 1000000000, period: day}}}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {content-type: text/plain}, body: "Hello"}}
routes:
  - {route: "GET /hello/{name}", function: hello}
  - {route: "GET /key/{name}", function: hello, authorizer: keys}
`, opts...)
	defer g.Close()
	for _, tc := range []struct{ name, raw string }{
		{"open route", "GET /hello/world?x=1&y=2 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: test\r\nAccept: */*\r\nCookie: a=1; b=2\r\n\r\n"},
		{"api key, usage plan and quota", "GET /key/world HTTP/1.1\r\nHost: api.example.com\r\nx-api-key: kkkkkkkkkkkkkkkkkkkkkkkk\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req fasthttp.Request
			req.Header.DisableNormalizing()
			if err := req.Read(bufio.NewReader(strings.NewReader(tc.raw))); err != nil {
				t.Fatal(err)
			}
			ctx := new(fasthttp.RequestCtx)
			ctx.Init(&req, nil, nil) // sets the request time the buckets use
			run := func() {
				ctx.Response.Reset()
				g.handle(ctx)
			}
			run()
			if ctx.Response.StatusCode() != 200 || string(ctx.Response.Body()) != "Hello" {
				t.Fatalf("got %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			if allocs := testing.AllocsPerRun(500, run); allocs > 0 {
				t.Errorf("%.1f allocations per request, budget 0", allocs)
			}
		})
	}
}
