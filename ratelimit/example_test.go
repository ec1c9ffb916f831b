package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/ratelimit"
)

// A route throttled per client IP: rate 10, burst 5. Five requests pass at
// once, the sixth is refused until a token comes back 100ms later.
func ExampleLocal_Take() {
	store := ratelimit.NewLocal(0)
	th := ratelimit.Throttle{Rate: 10, Burst: 5, Key: "ip"}
	client := &ratelimit.Client{IP: []byte("203.0.113.7")}

	// The route's prefix, terminated; when the client has no IP, AppendKey
	// leaves it as is: the route-wide bucket.
	key, _ := ratelimit.AppendKey([]byte("GET /pets\x00"), th.Key, client)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6 {
		d, _ := store.Take(context.Background(), key, th.Limit(), now)
		fmt.Println(i+1, d.Allowed, d.Remaining, d.RetryAfter)
	}
	d, _ := store.Take(context.Background(), key, th.Limit(), now.Add(100*time.Millisecond))
	fmt.Println("100ms later", d.Allowed)
	// Output:
	// 1 true 4 0s
	// 2 true 3 0s
	// 3 true 2 0s
	// 4 true 1 0s
	// 5 true 0 0s
	// 6 false 0 100ms
	// 100ms later true
}

// The answer to a throttled request carries the IETF RateLimit fields and
// Retry-After.
func ExampleAppendHeaders() {
	lim := ratelimit.Limit{Rate: 100, Burst: 200}
	d := ratelimit.Decision{Limit: 200, Reset: 2 * time.Second, RetryAfter: 10 * time.Millisecond}
	ratelimit.AppendHeaders(d, lim, func(name string, value []byte) {
		fmt.Printf("%s: %s\n", name, value)
	})
	// Output:
	// RateLimit-Policy: "throttle";q=200;w=2
	// RateLimit: "throttle";r=0;t=1
	// Retry-After: 1
}

// A usage plan's quota: 3 requests a day, counted per API key.
func ExampleLocal_Count() {
	store := ratelimit.NewLocal(0)
	q := ratelimit.Quota{Limit: 3, Period: "day"}
	key := []byte("gold\x00apikey=partner-a")
	now := time.Date(2026, 1, 1, 22, 0, 0, 0, time.UTC)
	for range 4 {
		d, _ := store.Count(context.Background(), key, q, now)
		fmt.Println(d.Allowed, d.Remaining, d.Reset)
	}
	// Output:
	// true 2 2h0m0s
	// true 1 2h0m0s
	// true 0 2h0m0s
	// false 0 2h0m0s
}

// With store: redis, the store is wrapped in a Guard that applies
// onStoreError and reports when Redis goes down and comes back.
func ExampleGuard() {
	cfg := ratelimit.Config{Store: "redis", Redis: redisconf.Config{URL: "redis://127.0.0.1:6379/0"}, OnStoreError: "allow"}
	if errs := cfg.Validate(); len(errs) > 0 {
		fmt.Println(errs)
		return
	}
	store, err := ratelimit.Open(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	if g, ok := store.(*ratelimit.Guard); ok {
		g.OnChange(func(healthy bool, err error) {
			// The gateway logs here: "rate-limit store down" / "recovered".
		})
		fmt.Println("healthy before the first request:", g.Healthy())
	}
	// Output:
	// healthy before the first request: true
}
