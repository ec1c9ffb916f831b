package ratelimit

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func FuzzAppendKey(f *testing.F) {
	f.Add("ip", []byte("10.0.0.1"), "", "", "X-Tenant", "acme")
	f.Add("header:X-Tenant", []byte(nil), "", "", "X-Tenant", "acme")
	f.Add("header:", []byte(nil), "", "", "", "")
	f.Add("jwt:sub", []byte(nil), "", strings.Repeat("s", 100), "", "")
	f.Add("apikey", []byte(nil), "k", "", "", "")
	f.Add("header:X Bad", []byte(nil), "", "", "X Bad", "v")
	f.Add("route", []byte("x"), "y", "z", "", "")
	f.Fuzz(func(t *testing.T, kind string, ip []byte, apiKey, sub, hname, hvalue string) {
		c := &Client{IP: ip, APIKey: apiKey, Subject: sub, Header: func(name string) []byte {
			if name == hname && hvalue != "" {
				return []byte(hvalue)
			}
			return nil
		}}
		prefix := []byte("route\x00")
		got, ok := AppendKey(bytes.Clone(prefix), kind, c)
		if !bytes.HasPrefix(got, prefix) {
			t.Fatalf("AppendKey(%q) changed the prefix: %q", kind, got)
		}
		rest := got[len(prefix):]
		// Validate and AppendKey agree on the kinds there are.
		valid := (&Throttle{Rate: 1, Burst: 1, Key: kind}).Validate() == nil
		switch {
		case !ok && len(rest) != 0:
			t.Fatalf("AppendKey(%q) = %q, false: want dst unchanged", kind, got)
		case ok && !valid && !strings.HasPrefix(kind, KeyHeaderPrefix):
			// (A header name is checked by Validate only, not per request.)
			t.Fatalf("AppendKey(%q): true for a key Validate rejects", kind)
		case ok && kind != "" && kind != KeyRoute && !bytes.HasPrefix(rest, []byte(kind)):
			t.Fatalf("AppendKey(%q) = %q: want the kind first", kind, rest)
		case ok && len(rest) > len(kind)+1+maxKeyValue:
			t.Fatalf("AppendKey(%q): %d bytes, want at most %d", kind, len(rest), len(kind)+1+maxKeyValue)
		}
		if valid && kind == KeyHeaderPrefix+hname && hvalue != "" && !ok {
			t.Fatalf("AppendKey(%q) with the header set: false", kind)
		}
	})
}

// FuzzThrottleValidate: Validate never panics, and what it accepts the
// stores take without panicking.
func FuzzThrottleValidate(f *testing.F) {
	f.Add(10.0, 5, "ip")
	f.Add(0.0, 0, "")
	f.Add(0.001, 1<<30, "header:X-Tenant")
	f.Add(math.Inf(1), -1, "header:")
	f.Add(math.NaN(), 1, "jwt:sub")
	f.Add(1e6, 1, "route")
	f.Fuzz(func(t *testing.T, rate float64, burst int, key string) {
		th := &Throttle{Rate: rate, Burst: burst, Key: key}
		if errs := th.Validate(); len(errs) > 0 {
			return
		}
		l := NewLocal(16)
		for i := range 3 {
			d, _ := l.Take(t.Context(), []byte("k"), th.Limit(), t0.Add(time.Duration(i)*time.Millisecond))
			if d.Allowed && (d.Remaining < 0 || d.Remaining >= int64(burst) || d.Reset <= 0) {
				t.Fatalf("%+v, take %d: %+v", th, i, d)
			}
			if !d.Allowed && rate > 0 && d.RetryAfter <= 0 {
				t.Fatalf("%+v, take %d: refused with no RetryAfter: %+v", th, i, d)
			}
		}
	})
}
