package ratelimit

import (
	"context"
	"math"
	"time"
)

// Store keeps buckets and quota counters: local (this process) or Redis
// (shared by every replica). Implementations are safe for concurrent use.
type Store interface {
	// Take removes one token from the bucket named key with the given
	// limit, at time now; it returns the decision. A limit with Rate <= 0
	// or Burst <= 0 refuses every request without touching the store.
	Take(ctx context.Context, key []byte, lim Limit, now time.Time) (Decision, error)
	// Count adds one to the quota counter of key for the period that
	// contains now and reports the decision. A refused request is not
	// counted.
	Count(ctx context.Context, key []byte, q Quota, now time.Time) (Decision, error)
	// Close releases the store's connections.
	Close() error
}

var (
	_ Store = (*Local)(nil)
	_ Store = (*Redis)(nil)
	_ Store = (*Guard)(nil)
)

// Limit is a token bucket: Rate tokens a second come back, up to Burst.
type Limit struct {
	// Rate is in requests per second.
	Rate float64
	// Burst is the bucket size.
	Burst int
}

// Decision is the outcome of Take or Count.
type Decision struct {
	// Allowed is true when the request may go on.
	Allowed bool
	// Limit is the bucket size (Take) or the quota of this period (Count:
	// Quota.Limit, less Quota.Offset in the first period).
	Limit int64
	// Remaining is the tokens (Take) or requests (Count) left after this
	// one; 0 when refused.
	Remaining int64
	// Reset is the time until the bucket is full again (Take) or the
	// period ends (Count).
	Reset time.Duration
	// RetryAfter, when !Allowed, is the time until one request would be
	// allowed; 0 when none ever would (a limit of rate 0).
	RetryAfter time.Duration
}

// maxSpan caps computed durations, far from overflow.
const maxSpan = int64(1) << 61 // ~73 years

// interval returns the emission interval of rate in ns, the time one token
// takes to come back: at least 1ns, at most maxSpan.
func interval(rate float64) int64 { return intervalIn(rate, float64(time.Second), maxSpan) }

// intervalIn returns 1/rate in units of which a second has perSecond,
// rounded, at least 1 and at most most.
func intervalIn(rate, perSecond float64, most int64) int64 {
	t := math.Round(perSecond / rate)
	switch {
	case t < 1:
		return 1
	case t > float64(most):
		return most
	}
	return int64(t)
}

// span returns t*n, capped at maxSpan.
func span(t int64, n int) int64 {
	if n <= 0 {
		return 0
	}
	if t > maxSpan/int64(n) {
		return maxSpan
	}
	return t * int64(n)
}

// blocked reports whether lim admits nothing, and the decision then.
func blocked(lim Limit) (Decision, bool) {
	if lim.Rate > 0 && lim.Burst > 0 { // false for NaN too
		return Decision{}, false
	}
	return Decision{Limit: int64(max(lim.Burst, 0))}, true
}

// gcra is one step of the generic cell rate algorithm, the token bucket in
// time units: tat is the bucket's theoretical arrival time (when it will be
// full again; 0 for a new bucket), now the request's time, t the emission
// interval and tau the time the whole bucket takes to refill (t*burst), all
// in ns. It returns the new tat (unchanged when refused) and the decision.
//
// A request is allowed when now >= max(tat, now) + t - tau: the bucket holds
// at least one token. The arithmetic is in integers, so boundaries are
// exact.
func gcra(tat, now, t, tau int64, burst int) (int64, Decision) {
	base := max(tat, now)
	next := base + t
	allowAt := next - tau
	if now < allowAt {
		return tat, Decision{
			Limit:      int64(burst),
			Reset:      time.Duration(base - now),
			RetryAfter: time.Duration(allowAt - now),
		}
	}
	return next, Decision{
		Allowed:   true,
		Limit:     int64(burst),
		Remaining: (tau - (next - now)) / t,
		Reset:     time.Duration(next - now),
	}
}
