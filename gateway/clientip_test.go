package gateway

import (
	"net/netip"
	"testing"
)

func TestSourceIP(t *testing.T) {
	trusted := trustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		name, peer, xff, want string
		proxies               trustedProxies
	}{
		{"untrusted peer ignores XFF", "203.0.113.9", "1.2.3.4", "203.0.113.9", trusted},
		{"no trusted proxies configured", "127.0.0.1", "1.2.3.4", "127.0.0.1", nil},
		{"trusted peer, one hop", "127.0.0.1", "1.2.3.4", "1.2.3.4", trusted},
		{"skips trusted hops from the right", "127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", "1.2.3.4", trusted},
		{"spoofed left hop is not believed", "10.0.0.5", "6.6.6.6,198.51.100.7", "198.51.100.7", trusted},
		{"all hops trusted gives the leftmost", "127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1", trusted},
		{"malformed hop stops the walk", "127.0.0.1", "1.2.3.4, garbage", "127.0.0.1", trusted},
		{"trusted peer without XFF", "127.0.0.1", "", "127.0.0.1", trusted},
		{"ipv6", "::1", "2001:db8::1", "::1", trusted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(tc.proxies.appendSourceIP(nil, netip.MustParseAddr(tc.peer), []byte(tc.xff)))
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestForwardedHeadersInEvent(t *testing.T) {
	g := startGateway(t, `
trustedProxies: [127.0.0.1]
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: $default, function: echo}]
`)
	ev := echoed(t, do(t, "GET", g.url+"/x", map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Amzn-Trace-Id": "Root=1-abc"}, ""))
	h := ev["headers"].(map[string]any)
	if h["x-forwarded-for"] != "198.51.100.7, 127.0.0.1" {
		t.Errorf("x-forwarded-for: got %v", h["x-forwarded-for"])
	}
	if h["x-amzn-trace-id"] != "Root=1-abc" {
		t.Errorf("x-amzn-trace-id: got %v", h["x-amzn-trace-id"])
	}
	if h["x-forwarded-proto"] != "http" || h["x-forwarded-port"] == nil {
		t.Errorf("x-forwarded-proto/port: got %v %v", h["x-forwarded-proto"], h["x-forwarded-port"])
	}
	ip := ev["requestContext"].(map[string]any)["http"].(map[string]any)["sourceIp"]
	if ip != "198.51.100.7" {
		t.Errorf("sourceIp: got %v, want the client behind the trusted proxy", ip)
	}
}
