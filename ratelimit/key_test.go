package ratelimit

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func headers(h map[string]string) func(string) []byte {
	return func(name string) []byte {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				return []byte(v)
			}
		}
		return nil
	}
}

func TestAppendKey(t *testing.T) {
	long := strings.Repeat("x", 65)
	sum := sha256.Sum256([]byte(long))
	c := &Client{
		IP:      []byte("203.0.113.7"),
		APIKey:  "abcdefghijklmnopqrst",
		Subject: "user-42",
		Header:  headers(map[string]string{"X-Tenant": "acme", "X-Long": long, "X-Empty": ""}),
	}
	for _, tc := range []struct {
		kind string
		c    *Client
		want string
		ok   bool
	}{
		{"", c, "", true},
		{"route", c, "", true},
		{"ip", c, "ip=203.0.113.7", true},
		{"apikey", c, "apikey=abcdefghijklmnopqrst", true},
		{"jwt:sub", c, "jwt:sub=user-42", true},
		{"header:X-Tenant", c, "header:X-Tenant=acme", true},
		{"header:x-tenant", c, "header:x-tenant=acme", true},
		{"header:X-Long", c, "header:X-Long#" + string(sum[:16]), true},
		{"apikey", &Client{APIKey: long}, "apikey#" + string(sum[:16]), true},
		{"ip", &Client{IP: []byte(strings.Repeat("y", 64))}, "ip=" + strings.Repeat("y", 64), true},
		// Missing: the gateway falls back to the route-wide bucket.
		{"ip", &Client{}, "", false},
		{"apikey", &Client{}, "", false},
		{"jwt:sub", &Client{}, "", false},
		{"header:X-Empty", c, "", false},
		{"header:X-Absent", c, "", false},
		{"header:X-Tenant", &Client{}, "", false},
		{"header:", c, "", false},
		{"cookie:session", c, "", false},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			got, ok := AppendKey([]byte("p\x00"), tc.kind, tc.c)
			if ok != tc.ok || string(got) != "p\x00"+tc.want {
				t.Errorf("got %q, %v; want %q, %v", got, ok, "p\x00"+tc.want, tc.ok)
			}
		})
	}
}

// Values of different kinds, or a long value and the digest of another,
// never make the same key.
func TestAppendKeyKindsDoNotCollide(t *testing.T) {
	v := "1.2.3.4"
	c := &Client{IP: []byte(v), APIKey: v, Subject: v, Header: headers(map[string]string{"X-A": v})}
	seen := map[string]string{}
	for _, kind := range []string{"ip", "apikey", "jwt:sub", "header:X-A"} {
		k, _ := AppendKey(nil, kind, c)
		if other, dup := seen[string(k)]; dup {
			t.Errorf("%s and %s make the same key %q", kind, other, k)
		}
		seen[string(k)] = kind
	}
}
