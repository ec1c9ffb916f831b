package metering

import (
	"math"
	"testing"
	"time"
)

func TestBilled(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name        string
		granularity time.Duration
		d, want     time.Duration
	}{
		{"1ms: exact", ms, 9 * ms, 9 * ms},
		{"1ms: up", ms, 8940 * time.Microsecond, 9 * ms},
		{"1ms: a nanosecond over", ms, 9*ms + 1, 10 * ms},
		{"1ms: under one", ms, 300 * time.Microsecond, ms},
		{"1ms: zero is one granule", ms, 0, ms},
		{"100ms: up", 100 * ms, 8940 * time.Microsecond, 100 * ms},
		{"100ms: exact", 100 * ms, 200 * ms, 200 * ms},
		{"100ms: just over", 100 * ms, 200*ms + time.Microsecond, 300 * ms},
		{"100ms: long", 100 * ms, 2999 * ms, 3000 * ms},
		{"unset is 1ms", 0, 1500 * time.Microsecond, 2 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Granularity: tt.granularity}
			if got := c.Billed(tt.d); got != tt.want {
				t.Errorf("Billed(%v) at %v = %v, want %v", tt.d, tt.granularity, got, tt.want)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// The arithmetic of AWS's own pricing examples.
func TestGBSecondsAndCost(t *testing.T) {
	// 128 MB for 1 ms is 1/8 GB × 1/1000 s.
	if got := GBSeconds(128, time.Millisecond); got != 0.000125 {
		t.Errorf("GBSeconds(128, 1ms) = %v, want 0.000125", got)
	}
	if got := GBSeconds(1024, time.Second); got != 1 {
		t.Errorf("GBSeconds(1024, 1s) = %v, want 1", got)
	}
	if got := GBSeconds(1536, 100*time.Millisecond); !near(got, 0.15) {
		t.Errorf("GBSeconds(1536, 100ms) = %v, want 0.15", got)
	}
	c := Defaults()
	// AWS's example: 3 million requests a month at 512 MB, 120 ms each:
	// 180,000 GB-s → $3.00 of compute, $0.60 of requests (no free tier).
	gbs := 3e6 * GBSeconds(512, 120*time.Millisecond)
	if !near(gbs, 180000) {
		t.Fatalf("GB-s = %v, want 180000", gbs)
	}
	if got, want := c.Cost(3e6, gbs), 180000*0.0000166667+0.60; !near(got, want) {
		t.Errorf("Cost = %v, want %v", got, want)
	}
	// One 128 MB invocation billed 1 ms.
	if got, want := c.Cost(1, GBSeconds(128, time.Millisecond)), 0.20/1e6+0.000125*0.0000166667; !near(got, want) {
		t.Errorf("Cost of one = %v, want %v", got, want)
	}
	arm := Config{Architecture: ArchARM}
	arm.SetDefaults()
	if got, want := arm.Cost(0, 1), 0.0000133334; !near(got, want) {
		t.Errorf("arm64 GB-s = %v, want %v", got, want)
	}
}

func TestMemoryMB(t *testing.T) {
	for _, tt := range []struct {
		bytes    int64
		mb, size int
	}{
		{0, 0, 128}, {1, 1, 128}, {MiB, 1, 128}, {MiB + 1, 2, 128}, {64 * MiB, 64, 128},
		{200 * MiB, 200, 200}, {200*MiB + 1, 201, 201}, {20000 * MiB, 20000, MaxMemoryMB},
	} {
		if got := MemoryMB(tt.bytes); got != tt.mb {
			t.Errorf("MemoryMB(%d) = %d, want %d", tt.bytes, got, tt.mb)
		}
		if got := SmallestMemoryMB(tt.bytes); got != tt.size {
			t.Errorf("SmallestMemoryMB(%d) = %d, want %d", tt.bytes, got, tt.size)
		}
	}
}

func TestRightSizeFor(t *testing.T) {
	c := Defaults()
	per := GBSeconds(1024, 10*time.Millisecond) // 0.01 GB-s a call
	r := c.RightSizeFor(1024, per, 45*MiB)
	if r.MemoryMB != 1024 || r.MaxMemoryUsedMB != 45 || r.SmallestMB != 128 {
		t.Fatalf("got %+v", r)
	}
	if want := 0.20 + 1e6*0.01*0.0000166667; !near(r.CostPerMillion, want) {
		t.Errorf("CostPerMillion = %v, want %v", r.CostPerMillion, want)
	}
	if want := 0.20 + 1e6*0.01/8*0.0000166667; !near(r.SmallestCostPerMillion, want) {
		t.Errorf("SmallestCostPerMillion = %v, want %v", r.SmallestCostPerMillion, want)
	}
	// A peak over the setting, or unknown, saves nothing.
	for _, used := range []int64{0, 300 * MiB} {
		if r := c.RightSizeFor(256, per, used); r.SmallestMB != 256 || r.SmallestCostPerMillion != r.CostPerMillion {
			t.Errorf("used %d: got %+v", used, r)
		}
	}
}
