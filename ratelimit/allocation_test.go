//go:build !race

package ratelimit

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The hot path's allocation budget.
func TestAllocations(t *testing.T) {
	ctx := context.Background()
	lim := Limit{Rate: 1e6, Burst: 1e6}
	now := time.Now()
	l := NewLocal(0)
	key := []byte("route\x00ip=203.0.113.7")
	l.Take(ctx, key, lim, now)
	g := NewGuard(l, "allow")
	q := Quota{Limit: 1 << 62, Period: "day"}
	l.Count(ctx, key, q, now)
	long := []byte(strings.Repeat("v", 100))
	c := &Client{IP: []byte("203.0.113.7"), APIKey: strings.Repeat("k", 100), Subject: "user-42",
		Header: func(string) []byte { return long }}
	dst := make([]byte, 0, 256)
	cl := NewConcurrencyLimiter(10)
	d := Decision{Limit: 200, Reset: time.Second, RetryAfter: time.Second}
	set := func(name string, value []byte) {}

	for _, tc := range []struct {
		name   string
		budget float64
		fn     func()
	}{
		{"Local.Take existing key", 0, func() { l.Take(ctx, key, lim, now) }},
		{"Guard.Take over Local", 0, func() { g.Take(ctx, key, lim, now) }},
		{"Local.Count existing key", 0, func() { l.Count(ctx, key, q, now) }},
		{"AppendKey ip", 0, func() { dst, _ = AppendKey(dst[:0], KeyIP, c) }},
		{"AppendKey jwt:sub", 0, func() { dst, _ = AppendKey(dst[:0], KeyJWTSubject, c) }},
		{"AppendKey long header", 0, func() { dst, _ = AppendKey(dst[:0], "header:X-Tenant", c) }},
		{"AppendKey long apikey", 0, func() { dst, _ = AppendKey(dst[:0], KeyAPIKey, c) }},
		{"ConcurrencyLimiter", 0, func() {
			if cl.Acquire() {
				cl.Release()
			}
		}},
		{"AppendHeaders refused", 0, func() { AppendHeaders(d, lim, set) }},
	} {
		if got := testing.AllocsPerRun(100, tc.fn); got > tc.budget {
			t.Errorf("%s: %v allocations, budget %v", tc.name, got, tc.budget)
		}
	}
}
