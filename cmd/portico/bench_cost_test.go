package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestBenchCommandCost: with --metrics and --function a run is priced
// from the function's meter before and after it (a /metrics that counts
// 50 invocations of 256 MB billed 4 ms each meanwhile).
func TestBenchCommandCost(t *testing.T) {
	target := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	var scrapes atomic.Int64
	metrics := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := 10 + 50*scrapes.Add(1) - 50 // 10, then 60
		fmt.Fprintf(w, "portico_function_invocations_total{function=\"hello\"} %d\n", n)
		fmt.Fprintf(w, "portico_function_gb_seconds_total{function=\"hello\"} %g\n", float64(n)*0.25*0.004)
		fmt.Fprintf(w, "portico_function_max_memory_used_bytes{function=\"hello\"} %d\n", 40<<20)
		fmt.Fprintf(w, "portico_function_memory_size_bytes{function=\"hello\"} %d\n", 256<<20)
		fmt.Fprintf(w, "portico_function_invocations_total{function=\"other\"} 7\n")
	}))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "-n", "50", "-c", "1", "--json", "--metrics", metrics + "/metrics", "--function", "hello", target + "/hello"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res struct {
		Cost struct {
			Invocations int64   `json:"invocations"`
			BilledMs    float64 `json:"billed_ms_per_request"`
			Requests    int64   `json:"requests"`
			GBSeconds   float64 `json:"billed_gb_seconds"`
			PerMillion  float64 `json:"cost_per_million_usd"`
			RightSize   struct {
				MaxUsed  int `json:"max_memory_used_mb"`
				Smallest int `json:"smallest_fitting_mb"`
			} `json:"right_size"`
		} `json:"cost"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	c := res.Cost
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }
	if c.Invocations != 50 || c.Requests != 50 || !near(c.BilledMs, 4) || !near(c.GBSeconds, 50*0.001) ||
		!near(c.PerMillion, 0.20+1e6*0.001*0.0000166667) || c.RightSize.MaxUsed != 40 || c.RightSize.Smallest != 128 {
		t.Errorf("cost %+v", c)
	}
	if code := run([]string{"bench", "-n", "1", "--function", "hello", target}, &stdout, &stderr); code != 2 {
		t.Errorf("--function without --metrics: exit %d, want 2", code)
	}
}

// serveHTTP serves h on a free 127.0.0.1 port until the test ends and
// returns its base URL.
func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
