package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portico/portico/metering"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// scrape is what /metrics serves for meters.
func scrape(t *testing.T, meters ...*metering.Meter) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metering.Collector(func() []*metering.Meter { return meters }))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestCostFromMetrics: a row's cost is worked out from the meter's
// series on /metrics before and after it, as the process scenario does.
func TestCostFromMetrics(t *testing.T) {
	m := metering.NewMeter("go", 256, metering.Config{})
	other := metering.NewMeter("gopher", 1024, metering.Config{})
	other.Record(time.Second, 0, 500*metering.MiB) // another function: not counted
	before, err := parseMeter(strings.NewReader(scrape(t, m, other)), "go")
	if err != nil {
		t.Fatal(err)
	}
	// 1000 invocations of 2.5 ms (billed 3 ms), one of them cold with
	// 47 ms of init (billed 50 ms), peaking at 30 MiB.
	m.Record(2500*time.Microsecond, 47*time.Millisecond, 30*metering.MiB)
	for range 999 {
		m.Record(2500*time.Microsecond, 0, 20*metering.MiB)
	}
	after, err := parseMeter(strings.NewReader(scrape(t, m, other)), "go")
	if err != nil {
		t.Fatal(err)
	}
	c := costOf("go", before, after, 800, metering.Defaults())

	billedMs := (50 + 999*3) / 1000.0 // mean billed ms
	perCall := 256.0 / 1024 * billedMs / 1000
	want := &Cost{Function: "go", MemoryMB: 256, Invocations: 1000, Requests: 800,
		BilledMsPerRequest: billedMs, BilledGBSeconds: 800 * perCall,
		PerRequest: 0.20/1e6 + perCall*0.0000166667, PerMillion: 0.20 + 1e6*perCall*0.0000166667,
		Run: 800*0.20/1e6 + 800*perCall*0.0000166667,
		RightSize: metering.RightSize{MemoryMB: 256, MaxMemoryUsedMB: 30, SmallestMB: 128,
			CostPerMillion: 0.20 + 1e6*perCall*0.0000166667, SmallestCostPerMillion: 0.20 + 1e6*perCall/2*0.0000166667}}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"billed ms per request", c.BilledMsPerRequest, want.BilledMsPerRequest},
		{"GB-s", c.BilledGBSeconds, want.BilledGBSeconds},
		{"per request", c.PerRequest, want.PerRequest},
		{"per million", c.PerMillion, want.PerMillion},
		{"run", c.Run, want.Run},
		{"right-size per million", c.RightSize.CostPerMillion, want.RightSize.CostPerMillion},
		{"right-size smallest per million", c.RightSize.SmallestCostPerMillion, want.RightSize.SmallestCostPerMillion},
	} {
		if !near(f.got, f.want) {
			t.Errorf("%s: got %v, want %v", f.name, f.got, f.want)
		}
	}
	if c.Function != "go" || c.MemoryMB != 256 || c.Invocations != 1000 || c.Requests != 800 ||
		c.RightSize.MemoryMB != 256 || c.RightSize.MaxMemoryUsedMB != 30 || c.RightSize.SmallestMB != 128 {
		t.Errorf("got %+v", c)
	}

	// The table and the JSON carry the fields.
	res := &Result{Name: "go hello -c 4 #1", Requests: 800, Status: map[string]int64{"200": 800}, Cost: c}
	var table bytes.Buffer
	WriteTable(&table, []*Result{res})
	for _, s := range []string{"on AWS Lambda", "go hello -c 4 #1", "256 MB", "3.05 ms", "30 MB", "128 MB", "$/1M req", "per GB-s"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}
	js, _ := json.Marshal(res)
	var doc struct {
		Cost map[string]any `json:"cost"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"function", "memory_mb", "invocations", "billed_ms_per_request", "requests", "billed_gb_seconds",
		"cost_per_request_usd", "cost_per_million_usd", "cost_of_run_usd", "right_size"} {
		if _, ok := doc.Cost[k]; !ok {
			t.Errorf("JSON cost lacks %q: %s", k, js)
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, "t", []*Result{res}); err != nil || !strings.Contains(html.String(), "on AWS Lambda") {
		t.Errorf("HTML report lacks the cost table (%v)", err)
	}
	// A row without a meter has no cost, and no cost table.
	table.Reset()
	WriteTable(&table, []*Result{{Name: "echo", Status: map[string]int64{}}})
	if strings.Contains(table.String(), "on AWS Lambda") {
		t.Errorf("cost table without costs:\n%s", table.String())
	}
}

func TestParseMeterMissing(t *testing.T) {
	if _, err := parseMeter(strings.NewReader("# nothing\nportico_requests_total{route=\"x\"} 1\n"), "go"); err == nil {
		t.Error("no error for a function without a meter")
	}
}
