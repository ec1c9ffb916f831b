package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the fake clock's origin.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// step is one request to a bucket at t0+at, and what it must get.
type step struct {
	at         time.Duration
	allowed    bool
	remaining  int64
	reset      time.Duration
	retryAfter time.Duration
}

// checkSteps runs steps against store on a fresh key, with the fake clock.
func checkSteps(t *testing.T, s Store, key string, lim Limit, steps []step) {
	t.Helper()
	for i, st := range steps {
		d, err := s.Take(context.Background(), []byte(key), lim, t0.Add(st.at))
		if err != nil {
			t.Fatalf("step %d (t0+%v): %v", i, st.at, err)
		}
		want := Decision{Allowed: st.allowed, Limit: int64(lim.Burst), Remaining: st.remaining, Reset: st.reset, RetryAfter: st.retryAfter}
		if d != want {
			t.Errorf("step %d (t0+%v): got %+v, want %+v", i, st.at, d, want)
		}
	}
}

// bucketCases are the bucket arithmetic every store must get exactly.
var bucketCases = []struct {
	name  string
	lim   Limit
	steps []step
}{
	{
		name: "rate 10 burst 5: exact boundary",
		lim:  Limit{Rate: 10, Burst: 5},
		steps: []step{
			{0, true, 4, 100 * time.Millisecond, 0},
			{0, true, 3, 200 * time.Millisecond, 0},
			{0, true, 2, 300 * time.Millisecond, 0},
			{0, true, 1, 400 * time.Millisecond, 0},
			{0, true, 0, 500 * time.Millisecond, 0},
			{0, false, 0, 500 * time.Millisecond, 100 * time.Millisecond},
			{99 * time.Millisecond, false, 0, 401 * time.Millisecond, time.Millisecond},
			{100 * time.Millisecond, true, 0, 500 * time.Millisecond, 0},
			{100 * time.Millisecond, false, 0, 500 * time.Millisecond, 100 * time.Millisecond},
			{10 * time.Second, true, 4, 100 * time.Millisecond, 0}, // full again
		},
	},
	{
		name: "partial refill",
		lim:  Limit{Rate: 10, Burst: 5},
		steps: []step{
			{0, true, 4, 100 * time.Millisecond, 0},
			{0, true, 3, 200 * time.Millisecond, 0},
			{0, true, 2, 300 * time.Millisecond, 0},
			{0, true, 1, 400 * time.Millisecond, 0},
			{0, true, 0, 500 * time.Millisecond, 0},
			// 250ms later: 2.5 tokens came back, two requests pass.
			{250 * time.Millisecond, true, 1, 350 * time.Millisecond, 0},
			{250 * time.Millisecond, true, 0, 450 * time.Millisecond, 0},
			{250 * time.Millisecond, false, 0, 450 * time.Millisecond, 50 * time.Millisecond},
		},
	},
	{
		name: "fractional rate 0.5 burst 1",
		lim:  Limit{Rate: 0.5, Burst: 1},
		steps: []step{
			{0, true, 0, 2 * time.Second, 0},
			{1999 * time.Millisecond, false, 0, time.Millisecond, time.Millisecond},
			{2 * time.Second, true, 0, 2 * time.Second, 0},
		},
	},
	{
		name: "burst 1 is a steady rate",
		lim:  Limit{Rate: 100, Burst: 1},
		steps: []step{
			{0, true, 0, 10 * time.Millisecond, 0},
			{5 * time.Millisecond, false, 0, 5 * time.Millisecond, 5 * time.Millisecond},
			{10 * time.Millisecond, true, 0, 10 * time.Millisecond, 0},
			{20 * time.Millisecond, true, 0, 10 * time.Millisecond, 0},
		},
	},
	{
		name: "rate 0 burst 0 blocks",
		lim:  Limit{},
		steps: []step{
			{0, false, 0, 0, 0},
			{time.Hour, false, 0, 0, 0},
		},
	},
	{
		name: "a clock that goes back is not refilled",
		lim:  Limit{Rate: 1, Burst: 2},
		steps: []step{
			{time.Second, true, 1, time.Second, 0},
			{time.Second, true, 0, 2 * time.Second, 0},
			{0, false, 0, 3 * time.Second, 2 * time.Second},
		},
	},
}

func TestLocalTake(t *testing.T) {
	for _, tc := range bucketCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSteps(t, NewLocal(0), "k", tc.lim, tc.steps)
		})
	}
}

func TestLocalBlockedLimitStoresNothing(t *testing.T) {
	l := NewLocal(0)
	for _, lim := range []Limit{{}, {Rate: 0, Burst: 5}, {Rate: 5, Burst: 0}, {Rate: -1, Burst: 1}} {
		if d, _ := l.Take(context.Background(), []byte("k"), lim, t0); d.Allowed {
			t.Errorf("%+v: allowed", lim)
		}
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len: got %d, want 0", n)
	}
}

func TestLocalKeysAreIsolated(t *testing.T) {
	l := NewLocal(0)
	lim := Limit{Rate: 1, Burst: 3}
	take := func(key string) Decision {
		t.Helper()
		d, _ := l.Take(context.Background(), []byte(key), lim, t0)
		return d
	}
	for range 3 {
		take("a")
	}
	if d := take("a"); d.Allowed {
		t.Fatalf("a after its burst: allowed")
	}
	for i := range 3 {
		if d := take("b"); !d.Allowed || d.Remaining != int64(2-i) {
			t.Errorf("b #%d: got %+v, want allowed with %d remaining", i, d, 2-i)
		}
	}
	// A key that is a prefix of another is a different bucket.
	if d := take("a\x00"); !d.Allowed || d.Remaining != 2 {
		t.Errorf("a\\x00: got %+v", d)
	}
	if n := l.Len(); n != 3 {
		t.Errorf("Len: got %d, want 3", n)
	}
}

// Under contention on one key, exactly burst requests pass at one instant.
func TestLocalTakeConcurrentSameKey(t *testing.T) {
	l := NewLocal(0)
	lim := Limit{Rate: 1, Burst: 50}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if d, _ := l.Take(context.Background(), []byte("hot"), lim, t0); d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("allowed: got %d, want 50", got)
	}
}

func (l *Local) has(key string) bool {
	sh := l.shard(l.buckets, []byte(key))
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[key] != nil
}

// A full shard evicts an idle bucket (full again: nothing is lost) before
// any bucket in use, and keeps the state of the ones in use.
func TestLocalEvictsIdleFirst(t *testing.T) {
	l := NewLocal(16) // one shard of 16
	if len(l.buckets) != 1 {
		t.Fatalf("shards: got %d, want 1", len(l.buckets))
	}
	lim := Limit{Rate: 1, Burst: 2}
	ctx := context.Background()
	for i := range 16 {
		l.Take(ctx, []byte("k"+strconv.Itoa(i)), lim, t0)
	}
	// All but k7 are used again, so only k7 is full at t0+1.5s.
	for i := range 16 {
		if i != 7 {
			l.Take(ctx, []byte("k"+strconv.Itoa(i)), lim, t0.Add(500*time.Millisecond))
		}
	}
	now := t0.Add(1500 * time.Millisecond)
	if d, _ := l.Take(ctx, []byte("new"), lim, now); !d.Allowed || d.Remaining != 1 {
		t.Fatalf("new: got %+v", d)
	}
	if l.has("k7") || !l.has("new") || l.Len() != 16 {
		t.Fatalf("after insert: k7 tracked %v, new tracked %v, Len %d; want false, true, 16", l.has("k7"), l.has("new"), l.Len())
	}
	// k0 kept its state: one token back since t0+0.5s (tat t0+2s), so
	// this request empties it; a fresh bucket would have 1 left.
	if d, _ := l.Take(ctx, []byte("k0"), lim, now); !d.Allowed || d.Remaining != 0 {
		t.Errorf("k0: got %+v, want allowed with 0 remaining", d)
	}
}

// An idle bucket a little past the hand goes before unused buckets that
// are not idle.
func TestLocalPrefersIdleToUnused(t *testing.T) {
	l := NewLocal(16)
	slow, fast := Limit{Rate: 0.001, Burst: 10}, Limit{Rate: 1000, Burst: 1}
	ctx := context.Background()
	for i := range 16 {
		lim := slow
		if i == 9 {
			lim = fast // full again 1ms later
		}
		l.Take(ctx, []byte("k"+strconv.Itoa(i)), lim, t0)
	}
	// Nothing is idle at t0: the hand clears every used mark and evicts k0.
	l.Take(ctx, []byte("x1"), slow, t0)
	if l.has("k0") || !l.has("k1") {
		t.Fatalf("x1 evicted the wrong entry: k0 %v, k1 %v", l.has("k0"), l.has("k1"))
	}
	// At t0+1s, k1.. are unused since the hand passed, but k9 is idle.
	l.Take(ctx, []byte("x2"), slow, t0.Add(time.Second))
	if l.has("k9") || !l.has("k1") || !l.has("x1") || !l.has("x2") {
		t.Errorf("x2: k9 %v, k1 %v, x1 %v, x2 %v; want only k9 gone", l.has("k9"), l.has("k1"), l.has("x1"), l.has("x2"))
	}
}

// With no idle bucket, the hand evicts one not used since it last passed.
func TestLocalEvictsUnusedWhenNoneIdle(t *testing.T) {
	l := NewLocal(16)
	lim := Limit{Rate: 0.001, Burst: 10} // nothing is full again during the test
	ctx := context.Background()
	for i := range 16 {
		l.Take(ctx, []byte("k"+strconv.Itoa(i)), lim, t0)
	}
	for i := range 100 {
		l.Take(ctx, []byte("spray"+strconv.Itoa(i)), lim, t0)
		if n := l.Len(); n > 16 {
			t.Fatalf("Len: got %d, want at most 16", n)
		}
	}
	if !l.has("spray99") {
		t.Errorf("the newest key was evicted")
	}
}

// TestLocalMemoryBounded sprays one million distinct keys (a flood of
// client IPs) at a store with the default cap: the keys tracked stay at
// most maxKeys and the heap grows by a bounded amount.
func TestLocalMemoryBounded(t *testing.T) {
	const keys = 1_000_000
	maxKeys := DefaultMaxKeys
	lim := Limit{Rate: 1, Burst: 10}
	ctx := context.Background()

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	l := NewLocal(maxKeys)
	start := time.Now()
	key := make([]byte, 0, 32)
	for i := range keys {
		key = append(key[:0], "ip=10."...)
		key = strconv.AppendInt(key, int64(i>>16), 10)
		key = append(key, '.')
		key = strconv.AppendInt(key, int64(i>>8&0xff), 10)
		key = append(key, '.')
		key = strconv.AppendInt(key, int64(i&0xff), 10)
		// Every client is active: one request each, a millisecond apart.
		if d, _ := l.Take(ctx, key, lim, t0.Add(time.Duration(i)*time.Millisecond)); !d.Allowed {
			t.Fatalf("key %d refused", i)
		}
		if i%100_000 == 0 && l.Len() > maxKeys {
			t.Fatalf("after %d keys: Len %d > %d", i, l.Len(), maxKeys)
		}
	}
	elapsed := time.Since(start)
	n := l.Len()
	after := heap()
	runtime.KeepAlive(l)
	growth := int64(after) - int64(before)
	t.Logf("%d distinct keys in %v: %d tracked (cap %d); heap %.1f MB before, %.1f MB after, growth %.1f MB (%.0f B per tracked key)",
		keys, elapsed.Round(time.Millisecond), n, maxKeys, mb(before), mb(after), float64(growth)/(1<<20), float64(growth)/float64(n))
	if n > maxKeys {
		t.Errorf("Len: got %d, want at most %d", n, maxKeys)
	}
	if n < maxKeys*9/10 {
		t.Errorf("Len: got %d, want close to %d (the cap is split between shards)", n, maxKeys)
	}
	if limit := int64(32 << 20); growth > limit {
		t.Errorf("heap grew %.1f MB, want under %d MB", float64(growth)/(1<<20), limit>>20)
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func TestNewLocalShards(t *testing.T) {
	for _, tc := range []struct{ maxKeys, shards, perShard int }{
		{0, shardsMax, DefaultMaxKeys / shardsMax},
		{1, 1, 1},
		{16, 1, 16},
		{40, 2, 20},
		{100, 4, 25},
		{1 << 20, shardsMax, (1 << 20) / shardsMax},
	} {
		l := NewLocal(tc.maxKeys)
		if len(l.buckets) != tc.shards || l.buckets[0].cap != tc.perShard || len(l.quotas) != tc.shards {
			t.Errorf("NewLocal(%d): got %d shards of %d, want %d of %d", tc.maxKeys, len(l.buckets), l.buckets[0].cap, tc.shards, tc.perShard)
		}
	}
}

// quotaStep is one request of a quota at a time, and what it must get.
type quotaStep struct {
	at        time.Time
	allowed   bool
	remaining int64
	limit     int64
}

func checkQuota(t *testing.T, s Store, key string, q Quota, steps []quotaStep) {
	t.Helper()
	for i, st := range steps {
		d, err := s.Count(context.Background(), []byte(key), q, st.at)
		if err != nil {
			t.Fatalf("step %d (%v): %v", i, st.at, err)
		}
		if d.Allowed != st.allowed || d.Remaining != st.remaining || d.Limit != st.limit {
			t.Errorf("step %d (%v): got allowed %v remaining %d limit %d, want %v %d %d",
				i, st.at.Format(time.RFC3339Nano), d.Allowed, d.Remaining, d.Limit, st.allowed, st.remaining, st.limit)
		}
		_, end := mustPeriod(t, q.Period).bounds(st.at)
		if d.Reset != end.Sub(st.at) {
			t.Errorf("step %d: Reset %v, want %v", i, d.Reset, end.Sub(st.at))
		}
		if !d.Allowed && d.RetryAfter != d.Reset {
			t.Errorf("step %d: RetryAfter %v, want the end of the period (%v)", i, d.RetryAfter, d.Reset)
		}
	}
}

func mustPeriod(t *testing.T, s string) period {
	t.Helper()
	p, ok := parsePeriod(s)
	if !ok {
		t.Fatalf("period %q", s)
	}
	return p
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// quotaCases are the quota rollovers every store must get exactly; each
// starts on a fresh key.
var quotaCases = []struct {
	name  string
	q     Quota
	steps []quotaStep
}{
	{"day", Quota{Limit: 3, Period: "day"}, []quotaStep{
		{utc("2026-01-31T23:59:58Z"), true, 2, 3},
		{utc("2026-01-31T23:59:59Z"), true, 1, 3},
		{utc("2026-01-31T23:59:59.5Z"), true, 0, 3},
		{utc("2026-01-31T23:59:59.999999999Z"), false, 0, 3},
		{utc("2026-02-01T00:00:00Z"), true, 2, 3}, // the next day
		{utc("2026-02-01T12:00:00Z"), true, 1, 3},
	}},
	{"week starts on Sunday", Quota{Limit: 1, Period: "WEEK"}, []quotaStep{
		{utc("2026-03-14T23:59:59Z"), true, 0, 1}, // Saturday
		{utc("2026-03-14T23:59:59.9Z"), false, 0, 1},
		{utc("2026-03-15T00:00:00Z"), true, 0, 1},  // Sunday
		{utc("2026-03-16T00:00:00Z"), false, 0, 1}, // Monday: same week
		{utc("2026-03-21T23:59:59Z"), false, 0, 1},
		{utc("2026-03-22T00:00:00Z"), true, 0, 1},
	}},
	{"month, across a year", Quota{Limit: 2, Period: "Month"}, []quotaStep{
		{utc("2025-12-01T00:00:00Z"), true, 1, 2},
		{utc("2025-12-31T23:59:59Z"), true, 0, 2},
		{utc("2025-12-31T23:59:59.999Z"), false, 0, 2},
		{utc("2026-01-01T00:00:00Z"), true, 1, 2},
		{utc("2026-02-28T23:59:59Z"), true, 1, 2},
		{utc("2026-03-01T00:00:00Z"), true, 1, 2},
	}},
	{"offset in the first period only", Quota{Limit: 5, Period: "day", Offset: 3}, []quotaStep{
		{utc("2026-05-01T10:00:00Z"), true, 1, 2},
		{utc("2026-05-01T11:00:00Z"), true, 0, 2},
		{utc("2026-05-01T12:00:00Z"), false, 0, 2},
		{utc("2026-05-02T00:00:00Z"), true, 4, 5},
	}},
	{"time zones do not matter", Quota{Limit: 1, Period: "day"}, []quotaStep{
		{utc("2026-06-01T23:30:00-02:00"), true, 0, 1}, // 2026-06-02T01:30Z
		{utc("2026-06-02T00:30:00Z"), false, 0, 1},
		{utc("2026-06-02T22:30:00-02:00"), true, 0, 1}, // 2026-06-03T00:30Z
	}},
}

func TestLocalCount(t *testing.T) {
	for _, tc := range quotaCases {
		t.Run(tc.name, func(t *testing.T) {
			checkQuota(t, NewLocal(0), "plan\x00key", tc.q, tc.steps)
		})
	}
}

func TestLocalCountKeysAreIsolated(t *testing.T) {
	l := NewLocal(0)
	q := Quota{Limit: 1, Period: "day"}
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if d, _ := l.Count(ctx, []byte(k), q, t0); !d.Allowed {
			t.Errorf("%s: refused", k)
		}
	}
	if d, _ := l.Count(ctx, []byte("a"), q, t0); d.Allowed {
		t.Errorf("a twice: allowed")
	}
	// Buckets and quota counters do not share keys.
	if d, _ := l.Take(ctx, []byte("a"), Limit{Rate: 1, Burst: 1}, t0); !d.Allowed {
		t.Errorf("bucket a: refused")
	}
}

func TestLocalCountInvalidQuota(t *testing.T) {
	for _, q := range []Quota{{Limit: 1, Period: "year"}, {Limit: 0, Period: "day"}} {
		if _, err := NewLocal(0).Count(context.Background(), []byte("k"), q, t0); !errors.Is(err, ErrInvalidQuota) {
			t.Errorf("%+v: got %v, want ErrInvalidQuota", q, err)
		}
	}
}

func TestLocalCountConcurrent(t *testing.T) {
	l := NewLocal(0)
	q := Quota{Limit: 500, Period: "day"}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if d, _ := l.Count(context.Background(), []byte("k"), q, t0.Add(time.Duration(g*100+i))); d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 500 {
		t.Errorf("allowed: got %d, want 500", got)
	}
}

func TestPeriodBounds(t *testing.T) {
	for _, tc := range []struct {
		period     string
		now        string
		start, end string
	}{
		{"day", "2026-03-14T15:09:26Z", "2026-03-14T00:00:00Z", "2026-03-15T00:00:00Z"},
		{"day", "2026-03-14T00:00:00Z", "2026-03-14T00:00:00Z", "2026-03-15T00:00:00Z"},
		{"week", "2026-03-14T15:09:26Z", "2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z"}, // Saturday
		{"week", "2026-03-15T00:00:00Z", "2026-03-15T00:00:00Z", "2026-03-22T00:00:00Z"}, // Sunday
		{"week", "2026-01-01T12:00:00Z", "2025-12-28T00:00:00Z", "2026-01-04T00:00:00Z"}, // across a year
		{"month", "2026-02-28T23:59:59Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"month", "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"}, // leap year
		{"month", "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.period, tc.now), func(t *testing.T) {
			start, end := mustPeriod(t, tc.period).bounds(utc(tc.now))
			if !start.Equal(utc(tc.start)) || !end.Equal(utc(tc.end)) {
				t.Errorf("got [%v, %v), want [%s, %s)", start, end, tc.start, tc.end)
			}
		})
	}
}
