package ratelimit

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// Response header field names.
const (
	HeaderRateLimitPolicy = "RateLimit-Policy"
	HeaderRateLimit       = "RateLimit"
	HeaderRetryAfter      = "Retry-After"
)

// Policy names in the RateLimit fields.
const (
	policyThrottle = `"throttle"`
	policyQuota    = `"quota"`
)

// AppendHeaders sets the RateLimit header fields of a bucket's decision,
// and Retry-After when it refused the request, through set (for fasthttp:
// ctx.Response.Header.Set). set is called with strings it may keep.
//
// The syntax is draft-ietf-httpapi-ratelimit-headers-11 (May 2026,
// https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/11/),
// §3 and §4: Structured Field lists of items named by a string, with
// integer parameters. For rate 100 and burst 200:
//
//	RateLimit-Policy: "throttle";q=200;w=2
//	RateLimit: "throttle";r=199;t=1
//
// q is the bucket (policy.Burst) and w the seconds it takes to refill from
// empty (burst/rate, rounded up; left out for a rate of 0). r is
// d.Remaining. t is d.Reset (until the bucket is full) in seconds rounded
// up, or, when refused, d.RetryAfter, since a Retry-After must not point
// before the end of the effective window (§6). Retry-After is
// d.RetryAfter in seconds rounded up, left out when no retry would succeed
// (a limit of rate 0).
func AppendHeaders(d Decision, policy Limit, set func(name string, value []byte)) {
	buf := acquireBuf()
	defer releaseBuf(buf)
	b := append(buf[:0], policyThrottle...)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, int64(max(policy.Burst, 0)), 10)
	if policy.Rate > 0 && policy.Burst > 0 {
		w := min(max(math.Ceil(float64(policy.Burst)/policy.Rate-1e-9), 1), 1e12) // (-1e-9: float noise)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, int64(w), 10)
	}
	set(HeaderRateLimitPolicy, b)
	appendState(d, policyThrottle, set)
}

// AppendQuotaHeaders is AppendHeaders for a quota's decision: the policy is
// named "quota", q is q.Limit and w the period in seconds (86400 for a
// day, 604800 for a week; left out for a month, whose length varies).
//
//	RateLimit-Policy: "quota";q=10000;w=86400
//	RateLimit: "quota";r=9999;t=43200
//
// When a request passes both a throttle and a quota, report the one that
// refused it, else the one with the fewer remaining requests.
func AppendQuotaHeaders(d Decision, q Quota, set func(name string, value []byte)) {
	buf := acquireBuf()
	defer releaseBuf(buf)
	b := append(buf[:0], policyQuota...)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, max(q.Limit, 0), 10)
	if p, ok := parsePeriod(q.Period); ok && p != month {
		w := int64(86400)
		if p == week {
			w *= 7
		}
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, w, 10)
	}
	set(HeaderRateLimitPolicy, b)
	appendState(d, policyQuota, set)
}

// appendState sets RateLimit and, when refused, Retry-After.
func appendState(d Decision, name string, set func(name string, value []byte)) {
	buf := acquireBuf()
	defer releaseBuf(buf)
	b := append(buf[:0], name...)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, max(d.Remaining, 0), 10)
	t := d.Reset
	if !d.Allowed {
		t = d.RetryAfter
	}
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, seconds(t), 10)
	set(HeaderRateLimit, b)
	if !d.Allowed && d.RetryAfter > 0 {
		set(HeaderRetryAfter, strconv.AppendInt(b[:0], seconds(d.RetryAfter), 10))
	}
}

// seconds returns d in whole seconds, rounded up; 0 for d <= 0.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// Header values are built in pooled buffers: a buffer handed to the set
// callback escapes, and a fresh one per call would allocate per request.
var bufPool = sync.Pool{New: func() any { return new([64]byte) }}

func acquireBuf() *[64]byte  { return bufPool.Get().(*[64]byte) }
func releaseBuf(b *[64]byte) { bufPool.Put(b) }
