package gateway

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestGracefulDrain(t *testing.T) {
	fn := startFunctionServer(t)
	g := startGateway(t, `
limits: {timeout: 5s, drainTimeout: 5s}
functions: {slow: {backend: http, url: "`+fn+`/slow"}}
routes: [{route: "GET /slow", function: slow}]
`)
	got := make(chan *response, 1)
	go func() { got <- do(t, "GET", g.url+"/slow", nil, "") }()
	time.Sleep(300 * time.Millisecond) // let the request reach the function
	g.stop(t)

	select {
	case r := <-got:
		if r.status != 200 || !strings.Contains(r.body, "late") {
			t.Errorf("in-flight request: got %d %q, want it to finish", r.status, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight request never finished")
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), time.Second); err == nil {
		c.Close()
		t.Errorf("still accepting connections after shutdown")
	}
}
