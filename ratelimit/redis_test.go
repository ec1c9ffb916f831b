package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

func newRedis(t testing.TB, url string) *Redis {
	t.Helper()
	return newRedisConf(t, redisconf.Config{URL: url})
}

// newRedisConf is a Redis store on cfg, closed when the test ends.
func newRedisConf(t testing.TB, cfg redisconf.Config) *Redis {
	t.Helper()
	r, err := NewRedis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The Lua GCRA gives exactly the decisions of the local one (with the
// fake clock passed in instead of Redis TIME).
func TestRedisTake(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL)
	r.clientClock = true
	for i, tc := range bucketCases {
		t.Run(tc.name, func(t *testing.T) {
			checkSteps(t, r, "take"+strconv.Itoa(i), tc.lim, tc.steps)
		})
	}
}

// TestRedisGlobalLimit is two gateway replicas (two stores, two go-redis
// clients) sharing one Redis under concurrent load: together they admit
// burst + rate×elapsed, as one bucket would.
func TestRedisGlobalLimit(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*Redis{newRedis(t, srv.URL), newRedis(t, srv.URL)}
	const (
		rate       = 100.0
		burst      = 50
		goroutines = 8
		requests   = 200
		pause      = 5 * time.Millisecond
	)
	lim := Limit{Rate: rate, Burst: burst}
	key := []byte("route\x00GET /global")
	// Warm up: connections dialled and the script loaded, so that the
	// first request reaches Redis when the clock starts.
	for _, r := range replicas {
		if _, err := r.Take(context.Background(), []byte("warm-up"), lim, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var allowed [2]atomic.Int64
	var failed atomic.Int64
	var last atomic.Int64 // when the last answer came, Unix ns
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			r := replicas[g%2]
			<-begin
			for i := range requests {
				if i > 0 {
					time.Sleep(pause) // the load's pace: the limit is measured in real time
				}
				d, err := r.Take(context.Background(), key, lim, time.Now())
				switch {
				case err != nil:
					failed.Add(1)
				case d.Allowed:
					allowed[g%2].Add(1)
				}
				for end := time.Now().UnixNano(); ; {
					if l := last.Load(); l >= end || last.CompareAndSwap(l, end) {
						break
					}
				}
			}
		})
	}
	start := time.Now()
	close(begin)
	wg.Wait()
	elapsed := time.Unix(0, last.Load()).Sub(start)

	if n := failed.Load(); n > 0 {
		t.Fatalf("%d requests failed", n)
	}
	a, b := allowed[0].Load(), allowed[1].Load()
	total := a + b
	want := burst + rate*elapsed.Seconds()
	t.Logf("%d goroutines × %d requests over %v on 2 replicas: allowed %d + %d = %d; burst + rate×elapsed = %d + %.0f×%.3fs = %.1f",
		goroutines, requests, elapsed.Round(time.Millisecond), a, b, total, burst, rate, elapsed.Seconds(), want)
	// Server time runs within the client's window, less a round trip at
	// each end: allow 30ms of it (3 requests) below, 1 above.
	if float64(total) < want-3 || float64(total) > want+1 {
		t.Errorf("allowed %d in total, want %.1f (-3/+1)", total, want)
	}
	if a == 0 || b == 0 {
		t.Errorf("allowed per replica %d and %d: want both to get some", a, b)
	}
	// The bucket's key expires once it would be full again.
	pttl, err := replicas[0].c.PTTL(context.Background(), redisPrefix+"b:{"+string(key)+"}").Result()
	if err != nil || pttl <= 0 || pttl > time.Duration(burst/rate*float64(time.Second)) {
		t.Errorf("bucket TTL %v (%v), want in (0, %v]", pttl, err, time.Duration(burst/rate*float64(time.Second)))
	}
}

// Quotas roll over at the period boundary, by the now passed in.
func TestRedisCount(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL)
	for i, tc := range quotaCases {
		t.Run(tc.name, func(t *testing.T) {
			checkQuota(t, r, "plan\x00key"+strconv.Itoa(i), tc.q, tc.steps)
		})
	}
}

// Two replicas count one quota, and the offset applies once for both.
func TestRedisCountShared(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newRedis(t, srv.URL), newRedis(t, srv.URL)
	q := Quota{Limit: 10, Period: "month", Offset: 4}
	ctx := context.Background()
	now := utc("2026-04-10T08:00:00Z")
	allowed := 0
	for i := range 10 {
		s := a
		if i%2 == 1 {
			s = b
		}
		d, err := s.Count(ctx, []byte("k"), q, now.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 6 {
		t.Errorf("first month: allowed %d, want 6 (10 - offset 4)", allowed)
	}
	d, err := b.Count(ctx, []byte("k"), q, utc("2026-05-01T00:00:00Z"))
	if err != nil || !d.Allowed || d.Limit != 10 || d.Remaining != 9 {
		t.Errorf("next month: got %+v, %v; want allowed, limit 10, 9 remaining", d, err)
	}
	if _, err := a.Count(ctx, []byte("k"), Quota{Limit: 1, Period: "fortnight"}, now); !errors.Is(err, ErrInvalidQuota) {
		t.Errorf("bad period: got %v, want ErrInvalidQuota", err)
	}
}

// TestRedisDown stops Redis in the middle: Guard follows onStoreError
// (allow, deny) and recovers when Redis is back on the same port.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	lim := Limit{Rate: 1000, Burst: 1000}
	q := Quota{Limit: 1000, Period: "day"}
	type guard struct {
		policy  string
		g       *Guard
		mu      sync.Mutex
		changes []bool
	}
	guards := []*guard{{policy: "allow"}, {policy: "deny"}}
	for _, gd := range guards {
		gd.g = NewGuard(newRedis(t, srv.URL), gd.policy)
		gd.g.OnChange(func(healthy bool, err error) {
			gd.mu.Lock()
			gd.changes = append(gd.changes, healthy)
			gd.mu.Unlock()
			if healthy != (err == nil) {
				t.Errorf("%s: OnChange(%v, %v)", gd.policy, healthy, err)
			}
		})
	}
	now := time.Now()
	for _, gd := range guards {
		key := []byte(gd.policy)
		if d, err := gd.g.Take(ctx, key, lim, now); err != nil || !d.Allowed || !gd.g.Healthy() {
			t.Fatalf("%s, Redis up: got %+v, %v, healthy %v", gd.policy, d, err, gd.g.Healthy())
		}
	}

	srv.Stop()
	for _, gd := range guards {
		key := []byte(gd.policy)
		deny := gd.policy == "deny"
		start := time.Now()
		d, err := gd.g.Take(ctx, key, lim, now)
		if !errors.Is(err, ErrStoreUnavailable) || err == ErrStoreUnavailable {
			t.Errorf("%s, Redis down: got error %v, want the store's error wrapped in ErrStoreUnavailable", gd.policy, err)
		}
		if d.Allowed == deny || gd.g.Healthy() {
			t.Errorf("%s, Redis down: got %+v, healthy %v", gd.policy, d, gd.g.Healthy())
		}
		if deny && d.RetryAfter != time.Second {
			t.Errorf("deny: RetryAfter %v, want 1s", d.RetryAfter)
		}
		t.Logf("%s: first failure after %v: %v", gd.policy, time.Since(start).Round(time.Microsecond), err)
		// Until the next probe, Guard answers without asking Redis.
		d, err = gd.g.Take(ctx, key, lim, now.Add(ProbeInterval-1))
		if err != ErrStoreUnavailable || d.Allowed == deny {
			t.Errorf("%s, before the probe: got %+v, %v; want the policy and ErrStoreUnavailable", gd.policy, d, err)
		}
		d, err = gd.g.Count(ctx, key, q, now.Add(ProbeInterval-1))
		if err != ErrStoreUnavailable || d.Allowed == deny {
			t.Errorf("%s, quota before the probe: got %+v, %v", gd.policy, d, err)
		}
	}

	srv.Start()
	for _, gd := range guards {
		key := []byte(gd.policy)
		probe := now
		var d Decision
		var err error
		// go-redis may first try a connection the restart broke.
		testkit.Poll(10*time.Second, func() bool {
			probe = probe.Add(ProbeInterval)
			d, err = gd.g.Take(ctx, key, lim, probe)
			return err == nil
		})
		if err != nil || !d.Allowed || !gd.g.Healthy() {
			t.Fatalf("%s, Redis back: got %+v, %v, healthy %v", gd.policy, d, err, gd.g.Healthy())
		}
		if d, err := gd.g.Count(ctx, key, q, probe); err != nil || !d.Allowed || d.Remaining != 999 {
			t.Errorf("%s, quota after recovery: got %+v, %v", gd.policy, d, err)
		}
		gd.mu.Lock()
		if fmt.Sprint(gd.changes) != "[false true]" {
			t.Errorf("%s: OnChange calls %v, want [false true]", gd.policy, gd.changes)
		}
		gd.mu.Unlock()
	}
}

// NewRedis does not connect: a gateway starts while Redis is down, and a
// request then fails fast.
func TestRedisNewWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var mu sync.Mutex
	var logged []string
	r, err := NewRedis(redisconf.Config{URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}, WithRedisLogger(func(msg string) {
		mu.Lock()
		logged = append(logged, msg)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	start := time.Now()
	_, err = r.Take(context.Background(), []byte("k"), Limit{Rate: 1, Burst: 1}, start)
	if err == nil {
		t.Fatal("Take without a server: no error")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Take without a server took %v", took)
	}
	if err := r.Ping(context.Background()); err == nil {
		t.Error("Ping without a server: no error")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) == 0 || !strings.Contains(logged[0], "failed to dial") {
		t.Errorf("go-redis messages: got %q, want them routed to WithRedisLogger's func", logged)
	}
}

func TestMain(m *testing.M) {
	redisLogs.takeOver() // go-redis would print dial failures to stderr
	os.Exit(m.Run())
}

// A Redis that accepts connections but never answers costs a request the
// configured timeout, not go-redis's seconds.
func TestRedisTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	r, err := NewRedis(redisconf.Config{URL: "redis://" + ln.Addr().String(), Timeout: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 3 {
		start := time.Now()
		_, err := r.Take(context.Background(), []byte("k"), Limit{Rate: 1, Burst: 1}, start)
		took := time.Since(start)
		if err == nil || took > 500*time.Millisecond {
			t.Errorf("Take against a silent server: %v after %v, want a timeout within about 30ms", err, took)
		}
	}
}

func TestNewRedisBadURL(t *testing.T) {
	for _, url := range []string{"", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/notadb"} {
		if _, err := NewRedis(redisconf.Config{URL: url}); err == nil {
			t.Errorf("NewRedis(%q): no error", url)
		}
	}
}

// BenchmarkRedisTake runs Take from GOMAXPROCS goroutines, and from 64,
// whose scripts share round trips.
func BenchmarkRedisTake(b *testing.B) {
	srv := redistest.Start(b)
	r := newRedis(b, srv.URL)
	lim := Limit{Rate: 1e6, Burst: 1e6}
	key := []byte("bench")
	ctx := context.Background()
	for _, perProc := range []int{1, 64 / runtime.GOMAXPROCS(0)} {
		b.Run("goroutines="+strconv.Itoa(perProc*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(perProc)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Take(ctx, key, lim, time.Now()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
