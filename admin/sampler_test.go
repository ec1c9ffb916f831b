package admin

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// testMetrics are the gateway's route series, by the same names and
// labels (gateway/metrics.go), in a registry of their own.
type testMetrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

func newTestMetrics() *testMetrics {
	m := &testMetrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: requestsName}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: latencyName,
			Buckets: []float64{0.001, 0.01, 0.1, 1}}, []string{"route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: errorsName}, []string{"route", "kind"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.errors)
	return m
}

// serve records n requests of route answered status, each taking took.
func (m *testMetrics) serve(route, status string, n int, took time.Duration) {
	for range n {
		m.requests.WithLabelValues(route, status).Inc()
		m.latency.WithLabelValues(route).Observe(took.Seconds())
	}
}

func (s *sampler) sampleFrom(t *testing.T, now time.Time, m *testMetrics) {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	s.sample(now, m.registry, families)
}

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-9 }

func TestSamplerRatesAndQuantiles(t *testing.T) {
	var s sampler
	m := newTestMetrics()
	start := time.Unix(1000, 0)
	s.sampleFrom(t, start, m)
	// One second: 90 fast requests (≤1ms), 10 slow ones (in 10ms-100ms), 5
	// of them 5xx.
	m.serve("GET /a", "2xx", 90, 500*time.Microsecond)
	m.serve("GET /a", "5xx", 5, 50*time.Millisecond)
	m.serve("GET /a", "2xx", 5, 50*time.Millisecond)
	m.errors.WithLabelValues("GET /a", "timeout").Add(5)
	s.sampleFrom(t, start.Add(time.Second), m)
	// The next second: nothing.
	s.sampleFrom(t, start.Add(2*time.Second), m)

	series := s.series()
	if len(series) != 3 {
		t.Fatalf("seconds held: %d, want 3", len(series))
	}
	busy := series[1]
	if busy.Rate != 100 || busy.ErrorRate != 0.05 {
		t.Errorf("the busy second: rate %v, 5xx %v; want 100, 0.05", busy.Rate, busy.ErrorRate)
	}
	// The median's rank, 50, falls in the first bucket (90 of 100 there):
	// 0 + 1ms × 50/90. The 99th's, 99, in 10ms-100ms: 10 + 90 × (99-90)/10.
	if !near(busy.P50MS, 1.0*50/90) || !near(busy.P99MS, 10+90*0.9) {
		t.Errorf("the busy second: p50 %v, p99 %v; want %v, %v", *busy.P50MS, *busy.P99MS, 1.0*50/90, 10+90*0.9)
	}
	if series[2].Rate != 0 || series[2].P50MS != nil {
		t.Errorf("the idle second: %+v, want no requests and no percentiles", series[2])
	}

	routes, all := s.routes()
	if a := routes["GET /a"]; a.Rate != 100.0/3 || a.ErrorRate != 0.05 || all.Rate != a.Rate {
		t.Errorf("the last minute (3 seconds held): %+v, all %+v; want 33.3 req/s, 5%% 5xx", a, all)
	}
	if n, errs := s.totals("GET /a"); n != 100 || errs["timeout"] != 5 {
		t.Errorf("totals: %d %v, want 100 and 5 timeouts", n, errs)
	}
}

func TestSamplerPastTheLastBucket(t *testing.T) {
	var s sampler
	m := newTestMetrics()
	s.sampleFrom(t, time.Unix(0, 0), m)
	m.serve("GET /slow", "2xx", 10, 5*time.Second)
	s.sampleFrom(t, time.Unix(1, 0), m)
	if p := s.series()[1].P99MS; !near(p, 1000) {
		t.Errorf("p99 of requests past every bound: %v, want the last bound, 1000 ms", p)
	}
}

// A reload builds a new gateway with new metrics: its counters start from
// zero and must not read as negative traffic, nor the old totals as new.
func TestSamplerReload(t *testing.T) {
	var s sampler
	old := newTestMetrics()
	s.sampleFrom(t, time.Unix(0, 0), old)
	old.serve("GET /a", "2xx", 50, time.Millisecond)
	s.sampleFrom(t, time.Unix(1, 0), old)

	next := newTestMetrics()
	next.serve("GET /a", "2xx", 3, time.Millisecond)
	s.sampleFrom(t, time.Unix(2, 0), next)
	if got := s.series()[2].Rate; got != 3 {
		t.Errorf("the second after a reload: %v req/s, want 3", got)
	}

	// The same registry whose counters went down (a reset) counts from zero too.
	reset := newTestMetrics()
	reset.serve("GET /a", "2xx", 1, time.Millisecond)
	s.gatherer = reset.registry
	s.last["GET /a"].requests = 1000
	s.sampleFrom(t, time.Unix(3, 0), reset)
	if got := s.series()[3].Rate; got != 1 {
		t.Errorf("the second after a reset: %v req/s, want 1", got)
	}
	if n, _ := s.totals("GET /a"); n != 1 {
		t.Errorf("totals after the reset: %d, want 1", n)
	}
}

func TestSamplerKeepsFiveMinutes(t *testing.T) {
	var s sampler
	m := newTestMetrics()
	for i := range keepSeconds + 20 {
		m.serve("GET /a", "2xx", 1, time.Millisecond)
		s.sampleFrom(t, time.Unix(int64(i), 0), m)
	}
	series := s.series()
	if len(series) != keepSeconds || series[0].At != int64(20)*1000 || series[len(series)-1].At != int64(keepSeconds+19)*1000 {
		t.Errorf("held %d seconds, %d to %d; want the last %d", len(series), series[0].At, series[len(series)-1].At, keepSeconds)
	}
	if routes, _ := s.routes(); routes["GET /a"].Rate != 1 {
		t.Errorf("the last minute: %v req/s, want 1", routes["GET /a"].Rate)
	}
}
