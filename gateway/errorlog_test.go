package gateway

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestFunctionErrorLogIsBounded: a function error of megabytes (holding a
// secret past its start) is answered as usual, and the access log carries
// its type and a bounded prefix only.
func TestFunctionErrorLogIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"errorMessage":"` + strings.Repeat("a", 2<<20) + ` password=hunter2","errorType":"Leaky"}`
	fn := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Amz-Function-Error", "Unhandled")
		ctx.SetBodyString(huge)
	}}
	go fn.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { fn.Shutdown() })

	config := "functions:\n  f: {backend: http, url: \"http://" + ln.Addr().String() + "/f\"}\nroutes:\n  - {route: $default, function: f}\n"
	core, logs := observer.New(zap.InfoLevel)
	g := loadTestGateway(t, config, WithLogger(zap.New(core)))
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, gln, nil) }()
	t.Cleanup(func() { cancel(); <-done; g.Close() })

	if r := do(t, "GET", "http://"+gln.Addr().String()+"/x", nil, ""); r.status != 500 {
		t.Fatalf("status %d, want 500", r.status)
	}
	entries := logs.FilterMessage("request").All()
	if len(entries) != 1 {
		t.Fatalf("%d access-log entries, want 1", len(entries))
	}
	msg, _ := entries[0].ContextMap()["error"].(string)
	if !strings.Contains(msg, "Unhandled") || len(msg) > 512 || strings.Contains(msg, "hunter2") {
		t.Errorf("logged error (%d bytes) %.300q: want the type and at most 512 bytes, no secret", len(msg), msg)
	}
}

// TestRejectionIsOneLine: a request an authorizer rejects is logged once,
// by the access log, with the authorizer, the kind and the reason, and
// never with the key it carried.
func TestRejectionIsOneLine(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	g := loadTestGateway(t, `
authorizers: {keys: {type: apikey}}
apiKeys: [{name: partner, value: "kkkkkkkkkkkkkkkkkkkkkkkk"}]
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /x", function: echo, authorizer: keys}]
`, WithLogger(zap.New(core)))
	defer g.Close()
	logs.TakeAll() // lines of the build

	var req fasthttp.Request
	raw := "GET /x HTTP/1.1\r\nHost: api.example.com\r\nx-api-key: kkkkkkkkkkkkkkkkkkkkkkkkWRONG\r\n\r\n"
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	g.handle(&ctx)
	if ctx.Response.StatusCode() != 403 {
		t.Fatalf("status %d, want 403", ctx.Response.StatusCode())
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].Message != "request" {
		t.Fatalf("got %d lines %v, want the access log's one", len(entries), entries)
	}
	m := entries[0].ContextMap()
	if m["authorizer"] != "keys" || !strings.Contains(m["error"].(string), "forbidden: unknown or disabled API key") {
		t.Errorf("fields: %v", m)
	}
	for k, v := range m {
		if s, ok := v.(string); ok && strings.Contains(s, "kkkkkkkk") {
			t.Errorf("%s holds the key: %q", k, s)
		}
	}
}
