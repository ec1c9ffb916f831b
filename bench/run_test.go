package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeClock advances only when the code under test sleeps or a fake request
// takes time; it is for single-connection runs.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) SleepUntil(_ context.Context, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}
func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// scriptedDoer answers after latencies[i] (the last one repeating), with
// the given statuses and errors.
type scriptedDoer struct {
	clk       *fakeClock
	latencies []time.Duration
	status    func(i int) (int, error)
	i         int
}

func (d *scriptedDoer) do(int) (int, int, error) {
	lat := d.latencies[min(d.i, len(d.latencies)-1)]
	d.clk.advance(lat)
	status, err := 200, error(nil)
	if d.status != nil {
		status, err = d.status(d.i)
	}
	d.i++
	return status, 10, err
}

func runFake(o Options, d *scriptedDoer) *Result {
	o.Targets = []Target{{URL: "http://127.0.0.1:1/"}}
	o.Connections = 1
	o.setDefaults()
	return run(context.Background(), &o, d.clk, func() doer { return d })
}

func TestDueSchedule(t *testing.T) {
	start := time.Unix(1000, 0)
	cases := []struct {
		rate float64
		i    int64
		want time.Duration
	}{
		{100, 0, 0}, {100, 1, 10 * time.Millisecond}, {100, 250, 2500 * time.Millisecond},
		{3, 1, 333333333}, {0.5, 3, 6 * time.Second},
	}
	for _, tc := range cases {
		if got := due(start, tc.rate, tc.i).Sub(start); got != tc.want {
			t.Errorf("rate %v, request %d: due at +%v, want +%v", tc.rate, tc.i, got, tc.want)
		}
	}
}

func TestKnownLatencyDistribution(t *testing.T) {
	// 1000 requests: 900 at 1ms, 90 at 10ms, 9 at 100ms, 1 at 1s.
	var lats []time.Duration
	for i := 0; i < 1000; i++ {
		switch {
		case i == 999:
			lats = append(lats, time.Second)
		case i >= 990:
			lats = append(lats, 100*time.Millisecond)
		case i >= 900:
			lats = append(lats, 10*time.Millisecond)
		default:
			lats = append(lats, time.Millisecond)
		}
	}
	clk := &fakeClock{now: time.Unix(0, 0)}
	r := runFake(Options{Requests: 1000}, &scriptedDoer{clk: clk, latencies: lats})
	if r.Requests != 1000 {
		t.Fatalf("requests %d", r.Requests)
	}
	within := func(name string, got, want int64) {
		t.Helper()
		if diff := float64(got-want) / float64(want); diff < -0.001 || diff > 0.001 {
			t.Errorf("%s: got %dµs, want %dµs (±0.1%%)", name, got, want)
		}
	}
	within("p50", r.Latency.P50, 1000)
	within("p90", r.Latency.P90, 1000)
	within("p99", r.Latency.P99, 10_000)
	within("p99.9", r.Latency.P999, 100_000)
	within("max", r.Latency.Max, 1_000_000)
	// 900ms + 900ms + 900ms + 1s of fake time.
	if want := 1000 / 3.7; r.Throughput < want*0.999 || r.Throughput > want*1.001 {
		t.Errorf("throughput %.2f, want %.2f", r.Throughput, want)
	}
}

// A 1 s stall at 100 req/s: closed loop sees one slow request; open loop
// charges the stall to every request that was due during it.
func TestCoordinatedOmissionCorrection(t *testing.T) {
	lats := make([]time.Duration, 1000)
	for i := range lats {
		lats[i] = time.Millisecond
	}
	lats[100] = time.Second

	closed := runFake(Options{Requests: 1000}, &scriptedDoer{clk: &fakeClock{now: time.Unix(0, 0)}, latencies: lats})
	if closed.Latency.P99 > 1100 {
		t.Errorf("closed loop p99 %dµs, want ~1ms (only one request was slow)", closed.Latency.P99)
	}

	open := runFake(Options{Requests: 1000, Rate: 100}, &scriptedDoer{clk: &fakeClock{now: time.Unix(0, 0)}, latencies: lats})
	// Request 101+j is sent at 2s+j·1ms but was due at 1.01s+j·10ms: the
	// ~110 requests after the stall waited 991ms-9ms·j. The 100th slowest
	// (p90) waited ~100ms, the 50th (p95) ~550ms.
	if open.Latency.P90 < 90_000 || open.Latency.P90 > 110_000 {
		t.Errorf("open loop p90 %dµs, want ~100ms (the stall charged to the requests due during it)", open.Latency.P90)
	}
	if p95 := open.hist.ValueAtPercentile(95); p95 < 530_000 || p95 > 570_000 {
		t.Errorf("open loop p95 %dµs, want ~550ms", p95)
	}
	if open.Latency.Max < 1_000_000 || open.Latency.Max > 1_002_000 {
		t.Errorf("open loop max %dµs, want ~1s", open.Latency.Max)
	}
	if open.Mode != "open" || closed.Mode != "closed" {
		t.Errorf("modes %s %s", open.Mode, closed.Mode)
	}
}

func TestDurationAndWarmUp(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	r := runFake(Options{Duration: 2 * time.Second, WarmUp: time.Second}, &scriptedDoer{clk: clk, latencies: []time.Duration{10 * time.Millisecond}})
	// 100 warm-up requests are not counted; 200 measured in 2 s.
	if r.Requests < 199 || r.Requests > 201 {
		t.Errorf("requests %d, want 200", r.Requests)
	}
	if len(r.Timeline) < 2 || r.Timeline[0] < 99 || r.Timeline[0] > 101 {
		t.Errorf("timeline %v, want ~100 per second", r.Timeline)
	}
}

func TestErrorAccounting(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	r := runFake(Options{Requests: 10}, &scriptedDoer{clk: clk, latencies: []time.Duration{time.Millisecond},
		status: func(i int) (int, error) {
			switch i % 5 {
			case 1:
				return 503, nil
			case 2:
				return 0, fasthttp.ErrTimeout
			case 3:
				return 0, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
			}
			return 200, nil
		}})
	if r.Status["200"] != 4 || r.Status["503"] != 2 || r.Errors["timeout"] != 2 || r.Errors["other"] != 2 || r.ErrorCount != 6 {
		t.Errorf("status %v errors %v count %d", r.Status, r.Errors, r.ErrorCount)
	}
}

func TestWeightedTargets(t *testing.T) {
	p := newPicker([]Target{{Weight: 3}, {Weight: 1}}, 0)
	counts := make([]int, 2)
	for range 400 {
		counts[p.next()]++
	}
	if counts[0] != 300 || counts[1] != 100 {
		t.Errorf("counts %v, want 300/100", counts)
	}
}
