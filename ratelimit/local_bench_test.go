package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLocalTake measures the hot path: a bucket the store already
// tracks, new keys (each inserted, evicting once the store is full), and
// the same under parallel load, on one key (a route-wide bucket) and on
// many.
func BenchmarkLocalTake(b *testing.B) {
	ctx := context.Background()
	lim := Limit{Rate: 1e6, Burst: 1e6}

	b.Run("existing", func(b *testing.B) {
		l := NewLocal(0)
		key := []byte("route\x00ip=203.0.113.7")
		now := time.Now()
		l.Take(ctx, key, lim, now)
		b.ReportAllocs()
		for b.Loop() {
			l.Take(ctx, key, lim, now)
		}
	})
	b.Run("new-keys", func(b *testing.B) {
		l := NewLocal(10000)
		key := make([]byte, 0, 32)
		now := time.Now()
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			key = strconv.AppendInt(append(key[:0], "route\x00ip="...), int64(i), 10)
			i++
			l.Take(ctx, key, lim, now)
		}
	})
	b.Run("parallel-same-key", func(b *testing.B) {
		l := NewLocal(0)
		key := []byte("route\x00")
		now := time.Now()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Take(ctx, key, lim, now)
			}
		})
	})
	b.Run("parallel-1k-keys", func(b *testing.B) {
		l := NewLocal(0)
		keys := make([][]byte, 1024)
		for i := range keys {
			keys[i] = []byte("route\x00ip=10.0." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&0xff))
		}
		now := time.Now()
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1)) * 7919
			for pb.Next() {
				l.Take(ctx, keys[i&1023], lim, now)
				i++
			}
		})
	})
}

func BenchmarkLocalCount(b *testing.B) {
	l := NewLocal(0)
	q := Quota{Limit: 1 << 62, Period: "month"}
	key := []byte("gold\x00apikey=abcdefghijklmnopqrst")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		l.Count(context.Background(), key, q, now)
	}
}

func BenchmarkGuardTakeLocal(b *testing.B) {
	g := NewGuard(NewLocal(0), "allow")
	key := []byte("route\x00")
	lim := Limit{Rate: 1e6, Burst: 1e6}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		g.Take(context.Background(), key, lim, now)
	}
}

func BenchmarkAppendKey(b *testing.B) {
	c := &Client{IP: []byte("203.0.113.7"), Header: func(string) []byte {
		return []byte("tenant-with-a-rather-long-name-that-goes-past-sixty-four-bytes-for-sure")
	}}
	dst := make([]byte, 0, 128)
	b.Run("ip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst, _ = AppendKey(dst[:0], KeyIP, c)
		}
	})
	b.Run("long-header", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst, _ = AppendKey(dst[:0], "header:X-Tenant", c)
		}
	})
}

func BenchmarkAppendHeaders(b *testing.B) {
	d := Decision{Limit: 200, Reset: 1500 * time.Millisecond, RetryAfter: 10 * time.Millisecond}
	lim := Limit{Rate: 100, Burst: 200}
	set := func(name string, value []byte) {}
	b.ReportAllocs()
	for b.Loop() {
		AppendHeaders(d, lim, set)
	}
}

func BenchmarkConcurrencyLimiter(b *testing.B) {
	c := NewConcurrencyLimiter(1 << 30)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if c.Acquire() {
				c.Release()
			}
		}
	})
}
