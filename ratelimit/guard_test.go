package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/redisconf"
)

// fakeStore answers from a Local, or fails with err when set.
type fakeStore struct {
	l     *Local
	calls atomic.Int64
	mu    sync.Mutex
	err   error
}

func (f *fakeStore) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *fakeStore) failure() error { f.mu.Lock(); defer f.mu.Unlock(); return f.err }

func (f *fakeStore) Take(ctx context.Context, key []byte, lim Limit, now time.Time) (Decision, error) {
	f.calls.Add(1)
	if err := f.failure(); err != nil {
		return Decision{}, err
	}
	return f.l.Take(ctx, key, lim, now)
}

func (f *fakeStore) Count(ctx context.Context, key []byte, q Quota, now time.Time) (Decision, error) {
	f.calls.Add(1)
	if err := f.failure(); err != nil {
		return Decision{}, err
	}
	return f.l.Count(ctx, key, q, now)
}

func (f *fakeStore) Close() error { return nil }

var errDown = errors.New("connection refused")

func TestGuardPolicy(t *testing.T) {
	lim := Limit{Rate: 1, Burst: 7}
	q := Quota{Limit: 9, Period: "day"}
	for _, tc := range []struct {
		policy    string
		take, cnt Decision
	}{
		{"", Decision{Allowed: true, Limit: 7}, Decision{Allowed: true, Limit: 9}},
		{"allow", Decision{Allowed: true, Limit: 7}, Decision{Allowed: true, Limit: 9}},
		{"deny", Decision{Limit: 7, RetryAfter: time.Second}, Decision{Limit: 9, RetryAfter: time.Second}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			f := &fakeStore{l: NewLocal(0)}
			g := NewGuard(f, tc.policy)
			f.fail(errDown)
			d, err := g.Take(context.Background(), []byte("k"), lim, t0)
			if d != tc.take || !errors.Is(err, errDown) || !errors.Is(err, ErrStoreUnavailable) {
				t.Errorf("Take: got %+v, %v; want %+v and the store's error", d, err, tc.take)
			}
			d, err = g.Count(context.Background(), []byte("k"), q, t0.Add(ProbeInterval))
			if d != tc.cnt || !errors.Is(err, errDown) {
				t.Errorf("Count: got %+v, %v; want %+v and the store's error", d, err, tc.cnt)
			}
		})
	}
}

// While the store is down, Guard asks it once per ProbeInterval (by the
// requests' times) and reports the change both ways, once.
func TestGuardProbesAndRecovers(t *testing.T) {
	f := &fakeStore{l: NewLocal(0)}
	g := NewGuard(f, "deny")
	var changes []string
	g.OnChange(func(healthy bool, err error) { changes = append(changes, fmt.Sprint(healthy, err)) })
	lim := Limit{Rate: 100, Burst: 100}
	ctx := context.Background()
	take := func(at time.Duration) (Decision, error) {
		return g.Take(ctx, []byte("k"), lim, t0.Add(at))
	}

	if _, err := take(0); err != nil || !g.Healthy() {
		t.Fatalf("up: %v, healthy %v", err, g.Healthy())
	}
	f.fail(errDown)
	if _, err := take(time.Millisecond); !errors.Is(err, errDown) || g.Healthy() {
		t.Fatalf("down: %v, healthy %v", err, g.Healthy())
	}
	calls := f.calls.Load()
	for _, at := range []time.Duration{2 * time.Millisecond, 100 * time.Millisecond, ProbeInterval} {
		if d, err := take(at); err != ErrStoreUnavailable || d.Allowed {
			t.Errorf("t0+%v, no probe due: got %+v, %v", at, d, err)
		}
	}
	if n := f.calls.Load() - calls; n != 0 {
		t.Errorf("store asked %d times before the probe was due", n)
	}
	// The probe at t0+1ms+ProbeInterval still fails: the next is one
	// interval later.
	if _, err := take(time.Millisecond + ProbeInterval); !errors.Is(err, errDown) {
		t.Errorf("failed probe: %v", err)
	}
	if _, err := take(time.Millisecond + 2*ProbeInterval - 1); err != ErrStoreUnavailable {
		t.Errorf("after a failed probe: %v", err)
	}
	f.fail(nil)
	if d, err := take(time.Millisecond + 2*ProbeInterval); err != nil || !d.Allowed || !g.Healthy() {
		t.Errorf("recovered: got %+v, %v, healthy %v", d, err, g.Healthy())
	}
	if d, err := take(time.Millisecond + 2*ProbeInterval); err != nil || !d.Allowed {
		t.Errorf("after recovery: got %+v, %v", d, err)
	}
	if got := fmt.Sprint(changes); got != "[false connection refused true <nil>]" {
		t.Errorf("OnChange calls: %s", got)
	}
}

// Of many requests at once while the store is down, one probes.
func TestGuardOneProbeAtATime(t *testing.T) {
	f := &fakeStore{l: NewLocal(0)}
	g := NewGuard(f, "allow")
	f.fail(errDown)
	g.Take(context.Background(), []byte("k"), Limit{Rate: 1, Burst: 1}, t0)
	calls := f.calls.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			g.Take(context.Background(), []byte("k"), Limit{Rate: 1, Burst: 1}, t0.Add(ProbeInterval))
		})
	}
	wg.Wait()
	if n := f.calls.Load() - calls; n != 1 {
		t.Errorf("probes: got %d, want 1", n)
	}
}

// The caller's own ctx errors and an invalid quota get the policy but do
// not mark the store down.
func TestGuardErrorsThatAreNotTheStores(t *testing.T) {
	f := &fakeStore{l: NewLocal(0)}
	g := NewGuard(f, "deny")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.fail(context.Canceled)
	if d, err := g.Take(ctx, []byte("k"), Limit{Rate: 1, Burst: 1}, t0); d.Allowed || !errors.Is(err, context.Canceled) || !g.Healthy() {
		t.Errorf("cancelled: got %+v, %v, healthy %v", d, err, g.Healthy())
	}
	f.fail(nil)
	if d, err := g.Count(context.Background(), []byte("k"), Quota{Limit: 1, Period: "year"}, t0); d.Allowed || !errors.Is(err, ErrInvalidQuota) || !g.Healthy() {
		t.Errorf("invalid quota: got %+v, %v, healthy %v", d, err, g.Healthy())
	}
}

func TestOpen(t *testing.T) {
	s, err := Open(Config{})
	if _, ok := s.(*Local); !ok || err != nil {
		t.Errorf("Open(local): %T, %v", s, err)
	}
	s, err = Open(Config{Store: "redis", Redis: redisconf.Config{URL: "redis://127.0.0.1:1/0"}, OnStoreError: "deny"})
	if g, ok := s.(*Guard); !ok || err != nil || !g.deny {
		t.Errorf("Open(redis): %T, %v", s, err)
	} else {
		g.Close()
	}
	if _, err := Open(Config{Store: "memcached"}); err == nil {
		t.Errorf("Open(memcached): no error")
	}
}
