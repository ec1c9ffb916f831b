package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestAdminClosesIdleConnections checks the admin listener closes a
// connection that sends nothing, and one left idle after a request.
func TestAdminClosesIdleConnections(t *testing.T) {
	g := loadTestGateway(t, `
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /echo", function: echo}]
`)
	defer g.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(g)
	s.admin = adminTimeouts{read: 200 * time.Millisecond, write: time.Second, idle: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, adminLn) }()
	defer func() { cancel(); <-done }()

	for _, tc := range []struct{ name, send string }{
		{"silent", ""},
		{"idle after a request", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", adminLn.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
			io.WriteString(c, tc.send)                     //nolint:errcheck
			got, err := io.ReadAll(bufio.NewReader(c))
			if err != nil {
				t.Fatalf("connection not closed by the admin listener: %v (read %q)", err, got)
			}
			if tc.send != "" && !strings.Contains(string(got), `{"status":"ok"}`) {
				t.Errorf("got %q", got)
			}
		})
	}
}
