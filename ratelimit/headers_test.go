package ratelimit

import (
	"context"
	"maps"
	"testing"
	"time"
)

func collect(fn func(set func(name string, value []byte))) map[string]string {
	h := map[string]string{}
	fn(func(name string, value []byte) { h[name] = string(value) })
	return h
}

func TestAppendHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      Decision
		policy Limit
		want   map[string]string
	}{
		{
			name:   "allowed",
			d:      Decision{Allowed: true, Limit: 200, Remaining: 199, Reset: 10 * time.Millisecond},
			policy: Limit{Rate: 100, Burst: 200},
			want:   map[string]string{"RateLimit-Policy": `"throttle";q=200;w=2`, "RateLimit": `"throttle";r=199;t=1`},
		},
		{
			name:   "refused: t is Retry-After, rounded up",
			d:      Decision{Limit: 5, Reset: 500 * time.Millisecond, RetryAfter: 1100 * time.Millisecond},
			policy: Limit{Rate: 10, Burst: 5},
			want:   map[string]string{"RateLimit-Policy": `"throttle";q=5;w=1`, "RateLimit": `"throttle";r=0;t=2`, "Retry-After": "2"},
		},
		{
			name:   "whole seconds are not rounded up",
			d:      Decision{Limit: 1, Reset: 3 * time.Second, RetryAfter: 3 * time.Second},
			policy: Limit{Rate: 0.25, Burst: 1},
			want:   map[string]string{"RateLimit-Policy": `"throttle";q=1;w=4`, "RateLimit": `"throttle";r=0;t=3`, "Retry-After": "3"},
		},
		{
			name:   "full bucket",
			d:      Decision{Allowed: true, Limit: 3, Remaining: 3},
			policy: Limit{Rate: 1000, Burst: 3},
			want:   map[string]string{"RateLimit-Policy": `"throttle";q=3;w=1`, "RateLimit": `"throttle";r=3;t=0`},
		},
		{
			name:   "blocked: no window, no Retry-After",
			d:      Decision{},
			policy: Limit{},
			want:   map[string]string{"RateLimit-Policy": `"throttle";q=0`, "RateLimit": `"throttle";r=0;t=0`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(func(set func(name string, value []byte)) { AppendHeaders(tc.d, tc.policy, set) })
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendQuotaHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Decision
		q    Quota
		want map[string]string
	}{
		{
			name: "day",
			d:    Decision{Allowed: true, Limit: 10000, Remaining: 9999, Reset: 12 * time.Hour},
			q:    Quota{Limit: 10000, Period: "day"},
			want: map[string]string{"RateLimit-Policy": `"quota";q=10000;w=86400`, "RateLimit": `"quota";r=9999;t=43200`},
		},
		{
			name: "week, refused",
			d:    Decision{Limit: 5, Reset: 90 * time.Second, RetryAfter: 90 * time.Second},
			q:    Quota{Limit: 5, Period: "WEEK"},
			want: map[string]string{"RateLimit-Policy": `"quota";q=5;w=604800`, "RateLimit": `"quota";r=0;t=90`, "Retry-After": "90"},
		},
		{
			name: "month has no fixed window; the policy shows the configured limit",
			d:    Decision{Allowed: true, Limit: 7, Remaining: 6, Reset: time.Hour + time.Nanosecond},
			q:    Quota{Limit: 10, Period: "month", Offset: 3},
			want: map[string]string{"RateLimit-Policy": `"quota";q=10`, "RateLimit": `"quota";r=6;t=3601`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(func(set func(name string, value []byte)) { AppendQuotaHeaders(tc.d, tc.q, set) })
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The headers of real decisions of the bucket of the package doc.
func TestAppendHeadersFromStore(t *testing.T) {
	l := NewLocal(0)
	lim := Limit{Rate: 10, Burst: 5}
	var d Decision
	for range 6 {
		d, _ = l.Take(context.Background(), []byte("k"), lim, t0)
	}
	got := collect(func(set func(name string, value []byte)) { AppendHeaders(d, lim, set) })
	want := map[string]string{"RateLimit-Policy": `"throttle";q=5;w=1`, "RateLimit": `"throttle";r=0;t=1`, "Retry-After": "1"}
	if !maps.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{-time.Second, 0}, {0, 0}, {1, 1}, {time.Second, 1}, {time.Second + 1, 2}, {1<<63 - 1, 9223372037},
	} {
		if got := seconds(tc.d); got != tc.want {
			t.Errorf("seconds(%v): got %d, want %d", tc.d, got, tc.want)
		}
	}
}
