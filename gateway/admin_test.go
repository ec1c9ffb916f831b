package gateway

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestAdminListener(t *testing.T) {
	g := loadTestGateway(t, `
functions:
  ok: {backend: builtin, handler: mock, response: {statusCode: 200}}
  bad: {backend: builtin, handler: mock, response: {statusCode: "nope"}}
routes:
  - {route: "GET /ok", function: ok}
  - {route: "GET /bad", function: bad}
`)
	defer g.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	adminLn, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln, adminLn) }()
	base, admin := "http://"+ln.Addr().String(), "http://"+adminLn.Addr().String()

	if r := do(t, "GET", admin+"/healthz", nil, ""); r.status != 200 {
		t.Errorf("/healthz %d", r.status)
	}
	if r := do(t, "GET", admin+"/readyz", nil, ""); r.status != 200 || r.body != `{"status":"ready"}` {
		t.Errorf("/readyz %d %s", r.status, r.body)
	}
	do(t, "GET", base+"/ok", nil, "")
	do(t, "GET", base+"/bad", nil, "")
	do(t, "GET", base+"/nowhere", nil, "")
	m := do(t, "GET", admin+"/metrics", nil, "").body
	for _, want := range []string{
		`portico_requests_total{route="GET /ok",status="2xx"} 1`,
		`portico_requests_total{route="GET /bad",status="5xx"} 1`,
		`portico_invocation_errors_total{kind="malformed",route="GET /bad"} 1`,
		`portico_unmatched_requests_total 1`,
		`portico_request_duration_seconds_count{route="GET /ok"} 1`,
		`portico_auth_total{event="allowed"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
