package gateway

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit/invoketest"
)

// startClosingServer accepts connections and closes them after reading the
// request, as a crashing function endpoint would.
func startClosingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				c.SetReadDeadline(time.Now().Add(time.Second)) //nolint:errcheck
				c.Read(buf)                                    //nolint:errcheck
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return "http://" + ln.Addr().String()
}

func failureConfig(api, fn, closing, dead string) string {
	head := ""
	prefix := ""
	if api == "rest" {
		head, prefix = "api: rest\nstage: dev\n", ""
	}
	return head + fmt.Sprintf(`
limits: {timeout: 500ms, maxBodyBytes: 1024}
functions:
  ok: {backend: http, url: "%[1]s/ok"}
  error: {backend: http, url: "%[1]s/error"}
  slow: {backend: http, url: "%[1]s/slow"}
  slowfn: {backend: http, url: "%[1]s/slow", timeout: 200ms}
  throttled: {backend: http, url: "%[1]s/throttled"}
  garbage: {backend: http, url: "%[1]s/garbage"}
  closing: {backend: http, url: "%[2]s/x"}
  down: {backend: http, url: "%[3]s/x"}
routes:
  - {route: "ANY /ok", function: ok%[4]s}
  - {route: "GET /error", function: error%[4]s}
  - {route: "GET /slow", function: slow%[4]s}
  - {route: "GET /slowfn", function: slowfn%[4]s}
  - {route: "GET /throttled", function: throttled%[4]s}
  - {route: "GET /garbage", function: garbage%[4]s}
  - {route: "GET /closing", function: closing%[4]s}
  - {route: "GET /down", function: down%[4]s}
`, fn, closing, dead, prefix)
}

func TestFailuresGetAPIGatewayAnswers(t *testing.T) {
	fn := invoketest.Start(t)
	closing := startClosingServer(t)
	dead := invoketest.DeadURL(t)
	type want struct {
		status int
		body   string
	}
	cases := []struct {
		path       string
		http, rest want
	}{
		{"/ok", want{200, "ok"}, want{200, "ok"}},
		{"/error", want{500, `{"message":"Internal Server Error"}`}, want{502, `{"message": "Internal server error"}`}},
		{"/slow", want{503, `{"message":"Service Unavailable"}`}, want{504, `{"message": "Endpoint request timed out"}`}},
		{"/slowfn", want{503, `{"message":"Service Unavailable"}`}, want{504, `{"message": "Endpoint request timed out"}`}},
		{"/throttled", want{500, `{"message":"Internal Server Error"}`}, want{500, `{"message": "Internal server error"}`}},
		{"/garbage", want{500, `{"message":"Internal Server Error"}`}, want{502, `{"message": "Internal server error"}`}},
		{"/closing", want{500, `{"message":"Internal Server Error"}`}, want{500, `{"message": "Internal server error"}`}},
		{"/down", want{500, `{"message":"Internal Server Error"}`}, want{500, `{"message": "Internal server error"}`}},
	}
	for _, api := range []string{"http", "rest"} {
		t.Run(api, func(t *testing.T) {
			g := startGateway(t, failureConfig(api, fn, closing, dead))
			base := g.url
			if api == "rest" {
				base += "/dev"
			}
			for _, tc := range cases {
				w := tc.http
				if api == "rest" {
					w = tc.rest
				}
				r := do(t, "GET", base+tc.path, nil, "")
				if r.status != w.status || r.body != w.body {
					t.Errorf("%s: got %d %q, want %d %q", tc.path, r.status, r.body, w.status, w.body)
				}
			}
			// The gateway keeps serving after every failure.
			if r := do(t, "GET", base+"/ok", nil, ""); r.status != 200 {
				t.Errorf("after the failures: got %d", r.status)
			}
		})
	}
}

func TestOversizedRequests(t *testing.T) {
	fn := invoketest.Start(t)
	g := startGateway(t, failureConfig("http", fn, fn, fn))
	r := do(t, "POST", g.url+"/ok", map[string]string{"Content-Type": "text/plain"}, strings.Repeat("x", 2048))
	if r.status != 413 || r.body != `{"message":"Request Entity Too Large"}` {
		t.Errorf("big body: got %d %q", r.status, r.body)
	}
	if r.header("apigw-requestid") == "" {
		t.Errorf("413 without apigw-requestid")
	}
	r = do(t, "GET", g.url+"/ok", map[string]string{"X-Big": strings.Repeat("h", 12000)}, "")
	if r.status != 413 {
		t.Errorf("big headers: got %d %q", r.status, r.body)
	}
	if r := do(t, "POST", g.url+"/ok", nil, strings.Repeat("x", 1024)); r.status != 200 {
		t.Errorf("body at the limit: got %d %q", r.status, r.body)
	}
}
