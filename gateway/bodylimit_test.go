package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// TestDeclaredBodyReservesNoMemory holds a gateway (the portico binary, so
// that its RSS is its own) to 64 MiB of growth while 500 connections each
// declare a 10 MB body and send one byte of it.
func TestDeclaredBodyReservesNoMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the portico binary")
	}
	const conns, growthLimit = 500, 64 << 20
	addr, pid := startPortico(t, `
listen: 127.0.0.1:0
log: {level: info, access: false}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, body: "hello"}}
routes:
  - {route: "ANY /hello", function: hello}
`)
	if r := rawExchange(t, addr, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(r, "HTTP/1.1 200") {
		t.Fatalf("warm-up: %q", r)
	}
	before := procStatus(t, pid, "VmHWM")

	head := "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10485000\r\n\r\nx"
	open := make([]net.Conn, 0, conns)
	t.Cleanup(func() {
		for _, c := range open {
			c.Close()
		}
	})
	for range conns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(open), err)
		}
		open = append(open, c)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatalf("connection %d: %v", len(open), err)
		}
	}
	// Every connection is being served once a request after them is: the
	// gateway reads the headers of each as it accepts it. Then watch the
	// high-water mark for a moment, as the bodies would be reserved.
	if r := rawExchange(t, addr, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(r, "HTTP/1.1 200") {
		t.Fatalf("with %d connections open: %q", conns, r)
	}
	peak := before
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(time.Second); time.Now().Before(end); <-tick.C {
		peak = max(peak, procStatus(t, pid, "VmHWM"))
	}
	if growth := peak - before; growth >= growthLimit {
		t.Errorf("RSS grew %d MiB with %d connections declaring 10 MB bodies, want under %d MiB",
			growth>>20, conns, growthLimit>>20)
	}
	t.Logf("VmHWM %d MiB before, %d MiB with %d connections", before>>20, peak>>20, conns)
}

// startPortico serves config with it until the test
// ends; it returns the public address and the process id.
func startPortico(t *testing.T, config string) (addr string, pid int) {
	t.Helper()
	dir := t.TempDir()
	bin := testkit.PorticoBinary(t)
	file := filepath.Join(dir, "portico.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", file)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck
		<-exited
	})
	found := make(chan string, 1)
	go func() {
		defer close(exited)
		defer cmd.Wait() //nolint:errcheck
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Listen string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				found <- line.Listen
			}
		}
	}()
	select {
	case addr = <-found:
	case <-exited:
		t.Fatal("portico exited before serving")
	case <-time.After(30 * time.Second):
		t.Fatal("portico did not start serving")
	}
	return addr, cmd.Process.Pid
}

// procStatus reads a size field (kB) of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"))
			if err != nil {
				t.Fatalf("%s: %q", field, v)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// rawExchange sends raw on a new connection and returns all the gateway
// sends back until it closes the connection (or 10 s pass).
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	return string(got)
}

const bodyLimitConfig = `
limits: {maxBodyBytes: 1024}
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "ANY /echo", function: echo}]
`

// TestBodyLimitAnswers checks each way a body can pass maxBodyBytes gets
// the 413, and each way under it reaches the function whole.
func TestBodyLimitAnswers(t *testing.T) {
	g := startGateway(t, bodyLimitConfig)
	addr := strings.TrimPrefix(g.url, "http://")
	chunk := func(n int) string { return fmt.Sprintf("%x\r\n%s\r\n", n, strings.Repeat("y", n)) }
	cases := []struct {
		name, raw, want string
	}{
		{"declared over", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + strings.Repeat("y", 2048), "413"},
		{"chunked over", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(600) + chunk(600) + "0\r\n\r\n", "413"},
		{"chunked at the limit", "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(600) + chunk(424) + "0\r\n\r\n", "200"},
		{"declared at the limit", "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n\r\n" + strings.Repeat("y", 1024), "200"},
		{"100-continue over", "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n", "413"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := rawExchange(t, addr, tc.raw)
			if !strings.HasPrefix(got, "HTTP/1.1 "+tc.want+" ") {
				t.Fatalf("got %q, want status %s first", got, tc.want)
			}
			switch tc.want {
			case "413":
				if !strings.HasSuffix(got, "\r\n\r\n"+`{"message":"Request Entity Too Large"}`) || !strings.Contains(got, "apigw-requestid: ") {
					t.Errorf("got %q, want the 413 body and a request id", got)
				}
			case "200":
				if !strings.Contains(got, strings.Repeat("y", 1024)) {
					t.Errorf("the function did not get the whole body: %q", got)
				}
			}
		})
	}
}

// TestContinueUnderLimit checks a body within the limit is invited with a
// 100 Continue and then served.
func TestContinueUnderLimit(t *testing.T) {
	g := startGateway(t, bodyLimitConfig)
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	head := "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	io.WriteString(c, head) //nolint:errcheck
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("got %q, %v; want a 100 Continue", line, err)
	}
	io.WriteString(c, "hello") //nolint:errcheck
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "HTTP/1.1 200 ") || !strings.Contains(string(rest), `"body":"hello"`) {
		t.Errorf("got %q", rest)
	}
}

// TestRefusalSurvivesUnreadBody checks a client that sends the whole body
// before it reads gets to send it and then reads the whole 413, which the
// gateway answered after the headers: closing with the body unread would
// reset the connection, failing the client's writes before it reads.
func TestRefusalSurvivesUnreadBody(t *testing.T) {
	g := startGateway(t, bodyLimitConfig)
	const size = 4 << 20
	for i := range 10 {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.url, "http://"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))                                                       //nolint:errcheck
		io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n") //nolint:errcheck
		block := bytes.Repeat([]byte("z"), 64<<10)
		for range size / len(block) {
			if _, err := c.Write(block); err != nil {
				t.Fatalf("attempt %d: sending the body: %v", i, err)
			}
		}
		got, err := io.ReadAll(c)
		c.Close()
		if !strings.HasPrefix(string(got), "HTTP/1.1 413 ") || !strings.HasSuffix(string(got), `{"message":"Request Entity Too Large"}`) {
			t.Fatalf("attempt %d: got %q (%v), want the whole 413", i, got, err)
		}
	}
}

// TestContinueNotInvitedPastLambdaLimit: under the default maxBodyBytes
// (10 MB), a body declared over Lambda's 6 MB payload limit could only
// make an event that is refused, so it gets the 413 at once, not a
// 100 Continue that invites it.
func TestContinueNotInvitedPastLambdaLimit(t *testing.T) {
	g := startGateway(t, "functions: {echo: {backend: builtin, handler: echo}}\nroutes: [{route: POST /echo, function: echo}]\n")
	got := rawExchange(t, strings.TrimPrefix(g.url, "http://"), "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 7000000\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 413 ") {
		t.Errorf("got %q, want a 413 first", got)
	}
}
