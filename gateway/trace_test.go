package gateway

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneTraceIDPerRequest: the function's Lambda-Runtime-Trace-Id (which
// aws-lambda-go puts into _X_AMZN_TRACE_ID) is the X-Amzn-Trace-Id of its
// event, whether the gateway made it or the client sent one.
func TestOneTraceIDPerRequest(t *testing.T) {
	src, _ := filepath.Abs(filepath.Join("testdata", "tracefn"))
	tg := startGateway(t, `
functions:
  trace: {backend: process, runtime: go, source: "`+src+`", timeout: 20s}
routes:
  - {route: "GET /trace", function: trace}
`)
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"made by the gateway", nil},
		{"sent by the client", map[string]string{"X-Amzn-Trace-Id": "Root=1-5f84c7a1-0123456789abcdef01234567"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "GET", tg.url+"/trace", tc.headers, "")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got struct{ Runtime, Event string }
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			if !strings.HasPrefix(got.Event, "Root=1-") || got.Runtime != got.Event {
				t.Errorf("runtime trace id %q, event X-Amzn-Trace-Id %q: want one id", got.Runtime, got.Event)
			}
			if want := tc.headers["X-Amzn-Trace-Id"]; want != "" && got.Event != want {
				t.Errorf("event trace id %q, want the client's %q", got.Event, want)
			}
		})
	}
}
