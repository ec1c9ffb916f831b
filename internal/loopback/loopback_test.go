package loopback

import "testing"

func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9090", true}, {"127.0.0.2:1", true}, {"localhost:80", true}, {"[::1]:9090", true},
		{"[::1]", true}, {"::1", true}, {"localhost", true},
		{"0.0.0.0:9090", false}, {":9090", false}, {"10.0.0.1:9090", false}, {"example.com:9090", false},
		{"localhost.example.com:1", false}, {"", false}, {"[::]:9090", false},
	} {
		if got := Addr(tc.addr); got != tc.want {
			t.Errorf("Addr(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}
