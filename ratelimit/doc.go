// Package ratelimit owns Portico's throttling: keyed token buckets (per
// route, or per client IP, API key, JWT subject or header value), usage-plan
// quotas per day, week or month, the stores that keep them (Local, in this
// process, bounded in memory; Redis, shared by every gateway replica), the
// onStoreError policy (Guard), the IETF RateLimit response header fields and
// a per-function concurrency limit.
//
// It owns the `throttle`, `usagePlans` and `ratelimit` parts of the config
// (Throttle, Quota, UsagePlan, Config, each with Validate); gateway composes
// them and decides the answer (429 "Too Many Requests" for a bucket, 429
// "Limit Exceeded" for a quota).
//
// Imports: the standard library and github.com/redis/go-redis/v9 only
// (golang.org/x/time is allowed; its float token arithmetic is not exact at
// boundaries, so the bucket here is its own). It must not import gateway,
// auth, backend or mapping: the gateway hands it what it needs (a key, a
// Client, a callback to set headers).
//
// Hot-path promise: Local.Take for a key it already tracks does not allocate
// (the key is looked up with m[string(key)], the bucket is one atomic
// compare-and-swap under a shard's read lock), AppendKey appends to the
// caller's buffer, and ConcurrencyLimiter is one atomic. The package never
// logs: stores return errors and Guard reports health, and the gateway
// decides what to write.
//
// The Redis store answers each request with one script, but concurrent
// requests share round trips: their scripts go together in one pipeline
// (at most 128), two pipelines in flight at most (see pipeline).
//
// The bucket is a GCRA (generic cell rate algorithm) in integer time, which
// is the token bucket of API Gateway (rate tokens a second, burst tokens at
// most) computed exactly: with rate 10 and burst 5, five requests pass at
// t0, the sixth is refused, and one more passes at t0+100ms but not at
// t0+99ms.
package ratelimit
