package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrStoreUnavailable is in every error Guard returns because of the store
// (test with errors.Is); alone, it means Guard did not ask the store
// because it is down and no probe was due.
var ErrStoreUnavailable = errors.New("ratelimit: store unavailable")

// ProbeInterval is how often, by the requests' own times, Guard lets one
// request through to a store that is down; the others get the
// onStoreError answer at once instead of waiting for the store's timeout.
const ProbeInterval = 500 * time.Millisecond

// denyRetryAfter is the RetryAfter of a request refused because the store
// is down (policy deny).
const denyRetryAfter = time.Second

// Guard wraps a Store and applies the onStoreError policy: when the store
// fails, the request is allowed (allow) or refused (deny), and the error is
// still returned for the caller to log. While the store is down Guard asks
// it again once per ProbeInterval and reports the recovery (Healthy, and
// the OnChange callback). It is safe for concurrent use.
//
// The Decision that comes with an error is the policy's alone (Allowed, the
// Limit asked for, RetryAfter 1s when refused): send no RateLimit fields
// for it. Errors of the caller's own ctx (cancelled, deadline) and
// ErrInvalidQuota get the policy too but do not mark the store down.
type Guard struct {
	_        noCopy
	s        Store
	deny     bool
	down     atomic.Bool
	next     atomic.Int64 // while down: Unix ns of the next probe
	onChange func(healthy bool, err error)
}

var _ Store = (*Guard)(nil)

// NewGuard wraps s with the policy onStoreError: allow (also "") or deny.
func NewGuard(s Store, onStoreError string) *Guard {
	return &Guard{s: s, deny: onStoreError == OnStoreErrorDeny}
}

// OnChange sets fn to be called when the store goes down (healthy false,
// with the error) and when it answers again (healthy true). It is called
// once per change, on the goroutine of the request that saw it, so it must
// be quick; it is where the gateway logs. Call OnChange before using g.
func (g *Guard) OnChange(fn func(healthy bool, err error)) { g.onChange = fn }

// Healthy reports whether the store's last answer was a success (true
// before the first one).
func (g *Guard) Healthy() bool { return !g.down.Load() }

// Take implements Store.
func (g *Guard) Take(ctx context.Context, key []byte, lim Limit, now time.Time) (Decision, error) {
	if g.down.Load() && !g.probe(now) {
		return g.fallback(int64(lim.Burst)), ErrStoreUnavailable
	}
	d, err := g.s.Take(ctx, key, lim, now)
	return g.result(ctx, d, err, now, int64(lim.Burst))
}

// Count implements Store.
func (g *Guard) Count(ctx context.Context, key []byte, q Quota, now time.Time) (Decision, error) {
	if g.down.Load() && !g.probe(now) {
		return g.fallback(q.Limit), ErrStoreUnavailable
	}
	d, err := g.s.Count(ctx, key, q, now)
	return g.result(ctx, d, err, now, q.Limit)
}

// Close implements Store: it closes the wrapped store.
func (g *Guard) Close() error { return g.s.Close() }

// probe reports whether this request should ask the store that is down: the
// first one at or after the next probe time.
func (g *Guard) probe(now time.Time) bool {
	next := g.next.Load()
	ns := now.UnixNano()
	return ns >= next && g.next.CompareAndSwap(next, ns+int64(ProbeInterval))
}

func (g *Guard) result(ctx context.Context, d Decision, err error, now time.Time, limit int64) (Decision, error) {
	if err == nil {
		if g.down.Load() && g.down.CompareAndSwap(true, false) && g.onChange != nil {
			g.onChange(true, nil)
		}
		return d, nil
	}
	if ctx.Err() != nil || errors.Is(err, ErrInvalidQuota) {
		return g.fallback(limit), err
	}
	g.next.Store(now.UnixNano() + int64(ProbeInterval))
	if g.down.CompareAndSwap(false, true) && g.onChange != nil {
		g.onChange(false, err)
	}
	return g.fallback(limit), fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

func (g *Guard) fallback(limit int64) Decision {
	if g.deny {
		return Decision{Limit: limit, RetryAfter: denyRetryAfter}
	}
	return Decision{Allowed: true, Limit: limit}
}

// Open returns the store cfg asks for: a *Local, or a *Redis (built with
// opts) wrapped in a *Guard with cfg.OnStoreError. Validate cfg first.
func Open(cfg Config, opts ...RedisOption) (Store, error) {
	switch cfg.Store {
	case "", StoreLocal:
		return NewLocal(cfg.MaxKeys), nil
	case StoreRedis:
		r, err := NewRedis(cfg.Redis, opts...)
		if err != nil {
			return nil, err
		}
		return NewGuard(r, cfg.OnStoreError), nil
	}
	return nil, fmt.Errorf("ratelimit: unknown store %q", cfg.Store)
}
