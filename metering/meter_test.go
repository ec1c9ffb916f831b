package metering

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMeterRecord(t *testing.T) {
	m := NewMeter("hello", 512, Config{Granularity: 100 * time.Millisecond})
	// A cold start: init and duration are billed together, rounded once.
	r := m.Record(12340*time.Microsecond, 120*time.Millisecond, 40*MiB)
	if want := (Report{Duration: 12340 * time.Microsecond, Init: 120 * time.Millisecond, Billed: 200 * time.Millisecond, MemoryMB: 512, MaxMemoryUsed: 40 * MiB}); r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	// Warm: a lower peak reading leaves the function's peak as it was.
	if r := m.Record(50*time.Millisecond, 0, 30*MiB); r.Billed != 100*time.Millisecond || r.MaxMemoryUsed != 30*MiB {
		t.Fatalf("got %+v", r)
	}
	got := m.Totals()
	want := Totals{Function: "hello", MemoryMB: 512, Invocations: 2, BilledDuration: 300 * time.Millisecond,
		GBSeconds: 0.15, MaxMemoryUsed: 40 * MiB, Inits: 1, InitDuration: 120 * time.Millisecond}
	want.Cost = 2*0.20/1e6 + 0.15*0.0000166667
	if !near(got.GBSeconds, want.GBSeconds) || !near(got.Cost, want.Cost) {
		t.Errorf("GB-s %v cost %v, want %v and %v", got.GBSeconds, got.Cost, want.GBSeconds, want.Cost)
	}
	got.GBSeconds, got.Cost, want.GBSeconds, want.Cost = 0, 0, 0, 0
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestMeterConcurrent(t *testing.T) {
	m := NewMeter("f", 128, Config{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.Record(time.Millisecond, 0, int64(g*1000+i))
			}
		})
	}
	wg.Wait()
	tt := m.Totals()
	if tt.Invocations != 8000 || tt.BilledDuration != 8*time.Second || tt.MaxMemoryUsed != 7999 {
		t.Errorf("got %+v", tt)
	}
}

func TestCollector(t *testing.T) {
	a := NewMeter("a", 128, Config{})
	a.Record(2500*time.Microsecond, 0, 20*MiB)
	a.Record(500*time.Microsecond, 30*time.Millisecond, 25*MiB)
	c := Collector(func() []*Meter { return []*Meter{a} })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP portico_function_billed_duration_seconds Billed duration of local functions' invocations (init included on a cold start, rounded up to billing.granularity); _sum is the total.
# TYPE portico_function_billed_duration_seconds histogram
portico_function_billed_duration_seconds_bucket{function="a",le="0.001"} 0
portico_function_billed_duration_seconds_bucket{function="a",le="0.002"} 0
portico_function_billed_duration_seconds_bucket{function="a",le="0.005"} 1
portico_function_billed_duration_seconds_bucket{function="a",le="0.01"} 1
portico_function_billed_duration_seconds_bucket{function="a",le="0.02"} 1
portico_function_billed_duration_seconds_bucket{function="a",le="0.05"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="0.1"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="0.2"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="0.5"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="1"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="2"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="5"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="10"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="30"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="60"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="300"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="900"} 2
portico_function_billed_duration_seconds_bucket{function="a",le="+Inf"} 2
portico_function_billed_duration_seconds_sum{function="a"} 0.034
portico_function_billed_duration_seconds_count{function="a"} 2
# HELP portico_function_gb_seconds_total Compute billed to local functions: memory in GB (1024 MB) times billed seconds.
# TYPE portico_function_gb_seconds_total counter
portico_function_gb_seconds_total{function="a"} 0.00425
# HELP portico_function_invocations_total Invocations of local functions, metered as Lambda bills them.
# TYPE portico_function_invocations_total counter
portico_function_invocations_total{function="a"} 2
# HELP portico_function_max_memory_used_bytes Highest peak memory of any environment (instance) of the function.
# TYPE portico_function_max_memory_used_bytes gauge
portico_function_max_memory_used_bytes{function="a"} 2.62144e+07
# HELP portico_function_memory_size_bytes The function's memory setting.
# TYPE portico_function_memory_size_bytes gauge
portico_function_memory_size_bytes{function="a"} 1.34217728e+08
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"portico_function_billed_duration_seconds", "portico_function_gb_seconds_total", "portico_function_invocations_total",
		"portico_function_max_memory_used_bytes", "portico_function_memory_size_bytes"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "portico_function_init_duration_seconds", "portico_function_cost_dollars_total"); err != nil || n != 2 {
		t.Errorf("init histogram and cost: %d series, %v", n, err)
	}
}
