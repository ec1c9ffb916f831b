package gateway

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// keepAlive opens a connection from local (nil: any) and serves one
// request on it, so that the gateway counts it; the connection stays open.
func keepAlive(t *testing.T, addr string, local net.Addr) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))            //nolint:errcheck
	io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
	line, _ := bufio.NewReader(c).ReadString('\n')
	return c, line
}

func TestConnectionLimits(t *testing.T) {
	cases := []struct {
		name, limits, want string
		open               int
	}{
		{"maxConns", "{maxConns: 3}", "HTTP/1.1 503 Service Unavailable\r\n", 3},
		{"maxConnsPerIP", "{maxConnsPerIP: 2}", "HTTP/1.1 429 Too Many Requests\r\n", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, `
limits: `+tc.limits+`
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "ANY /echo", function: echo}]
`)
			addr := strings.TrimPrefix(g.url, "http://")
			var first net.Conn
			for i := range tc.open {
				c, line := keepAlive(t, addr, nil)
				if !strings.HasPrefix(line, "HTTP/1.1 200") {
					t.Fatalf("connection %d: got %q", i, line)
				}
				if first == nil {
					first = c
				}
			}
			got := rawExchange(t, addr, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
			if !strings.HasPrefix(got, tc.want) || !strings.HasSuffix(got, "}") {
				t.Fatalf("one connection too many: got %q, want %q first", got, tc.want)
			}
			if tc.name == "maxConnsPerIP" {
				// Another client is not held to this one's share.
				if _, line := keepAlive(t, addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}); !strings.HasPrefix(line, "HTTP/1.1 200") {
					t.Errorf("from another IP: got %q", line)
				}
			}
			// A closed connection gives its slot back.
			first.Close()
			for deadline := time.Now().Add(5 * time.Second); ; {
				got := rawExchange(t, addr, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				if strings.HasPrefix(got, "HTTP/1.1 200") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after closing a connection: still %q", got)
				}
			}
		})
	}
}
