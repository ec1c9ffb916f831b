package gateway

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestReload swaps in a new config while a request of the old one is in
// flight: the old request finishes with the old function, new requests get
// the new routes, and nothing is refused.
func TestReload(t *testing.T) {
	fn, entered, release := startHeldFunction(t)
	old := loadTestGateway(t, `
limits: {timeout: 5s}
functions:
  slow: {backend: http, url: "`+fn+`"}
  v1: {backend: builtin, handler: mock, response: {statusCode: 200, body: one}}
routes:
  - {route: "GET /slow", function: slow}
  - {route: "GET /v", function: v1}
`)
	srv := NewServer(old)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	defer func() { cancel(); <-done; srv.Gateway().Close() }()
	url := "http://" + ln.Addr().String()

	if r := do(t, "GET", url+"/v", nil, ""); r.body != "one" {
		t.Fatalf("before: %d %q", r.status, r.body)
	}
	inflight := make(chan *response, 1)
	go func() { inflight <- do(t, "GET", url+"/slow", nil, "") }()
	<-entered

	next := loadTestGateway(t, `
functions:
  v2: {backend: builtin, handler: mock, response: {statusCode: 200, body: two}}
routes:
  - {route: "GET /v", function: v2}
  - {route: "GET /new", function: v2}
`)
	reloaded := make(chan struct{})
	go func() { srv.Reload(next); close(reloaded) }()
	waitFor(t, "the reload to swap", func() bool { return srv.Gateway() == next })
	if r := do(t, "GET", url+"/v", nil, ""); r.body != "two" {
		t.Errorf("after reload: %d %q", r.status, r.body)
	}
	if r := do(t, "GET", url+"/new", nil, ""); r.status != 200 {
		t.Errorf("new route: %d", r.status)
	}
	select {
	case <-reloaded:
		t.Fatal("Reload returned with a request of the old config in flight")
	default:
	}
	release()
	if r := <-inflight; r.status != 200 || r.body != "late" {
		t.Errorf("request in flight across the reload: %d %q", r.status, r.body)
	}
	select {
	case <-reloaded:
	case <-time.After(10 * time.Second):
		t.Fatal("Reload did not return after the old requests finished")
	}
	if r := do(t, "GET", url+"/slow", nil, ""); r.status != 404 {
		t.Errorf("route of the old config: %d", r.status)
	}
}
