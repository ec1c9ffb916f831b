package ratelimit

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/portico/portico/backend"
)

// ConcurrencyLimiter caps the invocations of one function in flight at
// once, for backends that cannot limit themselves (builtin, http, lambda):
// Capped calls Acquire before invoking and Release after, and answers a
// failed Acquire as throttled. It is one atomic counter, safe for
// concurrent use; a nil *ConcurrencyLimiter admits everything.
type ConcurrencyLimiter struct {
	_   noCopy
	max int64
	n   atomic.Int64
}

// NewConcurrencyLimiter returns a limiter of max invocations at once;
// max <= 0 means no limit.
func NewConcurrencyLimiter(max int) *ConcurrencyLimiter {
	return &ConcurrencyLimiter{max: int64(max)}
}

// Acquire takes a slot and reports whether there was one. Each true must be
// followed by exactly one Release; a false must not.
func (c *ConcurrencyLimiter) Acquire() bool {
	if c == nil || c.max <= 0 {
		return true
	}
	for {
		n := c.n.Load()
		if n >= c.max {
			return false
		}
		if c.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release gives back a slot taken by Acquire.
func (c *ConcurrencyLimiter) Release() {
	if c == nil || c.max <= 0 {
		return
	}
	if c.n.Add(-1) < 0 {
		panic("BUG: ratelimit: ConcurrencyLimiter.Release without Acquire")
	}
}

// InFlight returns the slots taken now.
func (c *ConcurrencyLimiter) InFlight() int {
	if c == nil {
		return 0
	}
	return int(c.n.Load())
}

// Max returns the limit; 0 means none.
func (c *ConcurrencyLimiter) Max() int {
	if c == nil || c.max <= 0 {
		return 0
	}
	return int(c.max)
}

// ErrConcurrencyLimit is the cause of the throttle an invocation past its
// function's concurrency gets.
var ErrConcurrencyLimit = errors.New("function concurrency limit reached")

// Capped returns inv under lim, for every way in to the function (routes,
// the Invoke API, async invocations) to count against one cap: past it an
// invocation does not run and answers a *backend.InvokeError of kind
// throttled wrapping ErrConcurrencyLimit, as Lambda's reserved concurrency
// throttles it.
func Capped(inv backend.Invoker, lim *ConcurrencyLimiter) backend.Invoker {
	return &capped{inv: inv, lim: lim}
}

type capped struct {
	inv backend.Invoker
	lim *ConcurrencyLimiter
}

func (c *capped) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	if !c.lim.Acquire() {
		return dst, &backend.InvokeError{Kind: backend.KindThrottled, Err: ErrConcurrencyLimit}
	}
	defer c.lim.Release()
	return c.inv.Invoke(ctx, inv, dst)
}
