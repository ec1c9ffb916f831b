package process

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
)

// runtimeAPIOf reads an instance's Runtime API address from its process
// environment, as any local process of the same user can.
func runtimeAPIOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	for kv := range strings.SplitSeq(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_RUNTIME_API="); ok {
			return v
		}
	}
	t.Fatalf("pid %d has no AWS_LAMBDA_RUNTIME_API", pid)
	return ""
}

// errStillOpen: the connection was neither answered nor closed.
var errStillOpen = errors.New("connection neither answered nor closed")

// foreignRequest sends raw on a new connection from the test process (a
// process outside the instance) and returns the response, or the error
// that ended the connection without one.
func foreignRequest(addr, raw string) (*http.Response, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err // refused outright is fine too
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	if _, err := c.Write([]byte(raw)); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, errStillOpen
	}
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	return resp, err
}

func onlyInstancePID(t *testing.T, f *Function) int {
	t.Helper()
	ps := pids(f)
	if len(ps) != 1 {
		t.Fatalf("pids %v, want one instance", ps)
	}
	return ps[0]
}

// A process outside the instance that long-polls GET /next gets no event
// and cannot answer one; the function's own runtime keeps working.
func TestForeignClientCannotTakeInvocations(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["echo"], Timeout: time.Second})
	mustInvoke(t, f, `{}`)
	addr := runtimeAPIOf(t, onlyInstancePID(t, f))

	type stolen struct {
		resp *http.Response
		err  error
	}
	got := make(chan stolen, 1)
	go func() {
		resp, err := foreignRequest(addr, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
		if err == nil && resp.StatusCode == http.StatusOK {
			// Answer the stolen event, as an attacker would.
			id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
			foreignRequest(addr, "POST /2018-06-01/runtime/invocation/"+id+"/response HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n\"forged\"") //nolint:errcheck
		}
		got <- stolen{resp, err}
	}()
	// Whichever GET /next is pending, each call must reach the function.
	for i := range 6 {
		out, err := invoke(t, f, `{"i":`+strconv.Itoa(i)+`}`, 10*time.Second)
		if err != nil || out != `{"i":`+strconv.Itoa(i)+`}` {
			t.Fatalf("call %d: %s %v", i, out, err)
		}
	}
	select {
	case s := <-got:
		if s.err == nil || errors.Is(s.err, errStillOpen) {
			t.Errorf("foreign GET /next: %v %v, want the connection closed unanswered", s.resp, s.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("foreign GET /next still pending")
	}
}

// A process outside the instance that posts a response for the request id
// in progress (ids are often guessable) is not heard.
func TestForeignClientCannotAnswer(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Timeout: 10 * time.Second})
	mustInvoke(t, f, slow("1"))
	addr := runtimeAPIOf(t, onlyInstancePID(t, f))

	result := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := f.Invoke(ctx, &backend.Invocation{Function: "fn", Event: []byte(slow("3000")), RequestID: "guessable"}, nil)
		if err != nil {
			result <- err.Error()
			return
		}
		result <- string(out)
	}()
	testkit.Eventually(t, 10*time.Second, "the runtime to take the call", func() bool {
		f.pool.mu.Lock()
		defer f.pool.mu.Unlock()
		for in := range f.pool.all {
			in.mu.Lock()
			c := in.current
			picked := c != nil && c.picked
			in.mu.Unlock()
			if picked {
				return true
			}
		}
		return false
	})
	resp, err := foreignRequest(addr, "POST /2018-06-01/runtime/invocation/guessable/response HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n\"forged\"")
	if err == nil || errors.Is(err, errStillOpen) {
		t.Errorf("foreign response: %v %v, want the connection closed unanswered", resp, err)
	}
	if out := <-result; !strings.Contains(out, "slept 3000ms") {
		t.Errorf("caller got %s, want the function's own result", out)
	}
}

// A runtime may run the Runtime API client in a child process, which may
// even start a process group of its own: the instance still hears it.
func TestDescendantOfRuntimeIsHeard(t *testing.T) {
	for _, mode := range []string{"parent-of-same-group", "parent-of-own-group"} {
		t.Run(mode, func(t *testing.T) {
			f := newFunction(t, fake(mode))
			for i := range 3 {
				event := `{"i":` + strconv.Itoa(i) + `}`
				if out := mustInvoke(t, f, event); out != event {
					t.Errorf("got %s, want %s", out, event)
				}
			}
		})
	}
}

// dialPair returns both ends of a loopback TCP connection made by the test
// process: the server's end and the client's.
func dialPair(t *testing.T, network, addr string) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s listener: %v", network, err)
	}
	defer ln.Close()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if server, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server, client
}

func inodeOf(t *testing.T, c net.Conn) uint64 {
	t.Helper()
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestPeerSocketLookup(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		t.Run(tc.network, func(t *testing.T) {
			server, client := dialPair(t, tc.network, tc.addr)
			want := inodeOf(t, client)
			local, remote := server.RemoteAddr().(*net.TCPAddr), server.LocalAddr().(*net.TCPAddr)
			if got, err := diagInode(local, remote); err != nil || got != want {
				t.Errorf("sock_diag: inode %d %v, want %d", got, err, want)
			}
			if got, err := procNetInode(local, remote); err != nil || got != want {
				t.Errorf("/proc/net: inode %d %v, want %d", got, err, want)
			}
			if err := checkPeer(server, os.Getpid()); err != nil {
				t.Errorf("own connection refused: %v", err)
			}
			other := exec.Command("sleep", "60")
			if err := other.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { other.Process.Kill(); other.Wait() }() //nolint:errcheck
			if err := checkPeer(server, other.Process.Pid); !errors.Is(err, errForeignPeer) {
				t.Errorf("another process's view: %v, want %v", err, errForeignPeer)
			}
			client.Close()
			if err := checkPeer(server, os.Getpid()); err == nil {
				t.Error("a peer that closed its end was accepted")
			}
		})
	}
}

// TestProcessOutsideTheTreeCannotJoinIt: a process of Portico's session
// (another function's runtime, say) that moves into the instance's process
// group would pass a process-group check. Each runtime leads a session of
// its own, which nothing outside its tree can join.
func TestProcessOutsideTheTreeCannotJoinIt(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["echo"], Timeout: 5 * time.Second})
	mustInvoke(t, f, `{}`)
	root := onlyInstancePID(t, f)
	addr := runtimeAPIOf(t, root)
	script := `
import os, socket, sys
try:
    os.setpgid(0, int(sys.argv[1]))
except OSError as e:
    print("refused", e, flush=True)
    sys.exit(0)
host, port = sys.argv[2].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
print("polling", flush=True)
data = s.recv(65536)
if not data:
    sys.exit(0)
head = data.split(b"\r\n\r\n")[0].decode()
rid = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("lambda-runtime-aws-request-id")]
if rid:
    body = b'"forged"'
    s.sendall(("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (rid[0], len(body))).encode() + body)
    s.recv(65536)
`
	cmd := exec.Command("python3", "-c", script, strconv.Itoa(root), addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	first, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(first, "refused") {
		t.Errorf("a process outside the tree joined the runtime's process group: %q", first)
	}
	for i := range 3 {
		if got := mustInvoke(t, f, `{"i":`+strconv.Itoa(i)+`}`); got == `"forged"` {
			t.Errorf("call %d answered by a process outside the instance's tree", i)
		}
	}
}
