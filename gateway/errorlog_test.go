package gateway

import (
	"context"
	"net"
	"os"
	"path/filepath"
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

	file := filepath.Join(t.TempDir(), "portico.yaml")
	config := "functions:\n  f: {backend: http, url: \"http://" + ln.Addr().String() + "/f\"}\nroutes:\n  - {route: $default, function: f}\n"
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	g, err := New(cfg, WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
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
