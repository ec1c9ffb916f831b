package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestConcurrencyLimiter(t *testing.T) {
	c := NewConcurrencyLimiter(2)
	first, second := c.Acquire(), c.Acquire()
	if !first || !second {
		t.Fatal("the first two Acquire failed")
	}
	if c.Acquire() {
		t.Fatal("a third Acquire succeeded")
	}
	if c.InFlight() != 2 || c.Max() != 2 {
		t.Errorf("InFlight %d, Max %d; want 2, 2", c.InFlight(), c.Max())
	}
	c.Release()
	if !c.Acquire() {
		t.Error("Acquire after a Release failed")
	}
	c.Release()
	c.Release()
	if c.InFlight() != 0 {
		t.Errorf("InFlight after releasing all: %d", c.InFlight())
	}
}

func TestConcurrencyLimiterUnlimited(t *testing.T) {
	var nilLimiter *ConcurrencyLimiter
	for _, c := range []*ConcurrencyLimiter{NewConcurrencyLimiter(0), NewConcurrencyLimiter(-1), nilLimiter} {
		for range 1000 {
			if !c.Acquire() {
				t.Fatalf("%v: Acquire failed", c)
			}
		}
		c.Release()
		if c.Max() != 0 {
			t.Errorf("Max: %d, want 0", c.Max())
		}
	}
}

func TestConcurrencyLimiterReleaseWithoutAcquire(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewConcurrencyLimiter(1).Release()
}

// Under contention the limit is never exceeded, not even for a moment.
func TestConcurrencyLimiterConcurrent(t *testing.T) {
	const max = 5
	c := NewConcurrencyLimiter(max)
	var inside, peak, admitted atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 500 {
				if !c.Acquire() {
					continue
				}
				admitted.Add(1)
				n := inside.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				inside.Add(-1)
				c.Release()
			}
		})
	}
	wg.Wait()
	if peak.Load() > max || c.InFlight() != 0 || admitted.Load() == 0 {
		t.Errorf("peak %d (max %d), in flight after %d, admitted %d", peak.Load(), max, c.InFlight(), admitted.Load())
	}
}
