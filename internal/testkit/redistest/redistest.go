// Package redistest starts a real redis-server for tests: a child process
// on a free 127.0.0.1 port, without persistence. Tests of every package that
// needs Redis share it. It imports nothing of the module but testkit.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// Server is a real redis-server child process on a free 127.0.0.1
// port, without persistence.
type Server struct {
	t    testing.TB
	path string
	Port int
	URL  string
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// Start starts a redis-server for the test and stops it at cleanup.
// Without the binary the test is skipped, except under CI=true, where it
// fails: CI must run the Redis tests.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found: CI=true requires it (install it, e.g. apt-get install redis-server): %v", err)
		}
		t.Skipf("redis-server not found, skipping the Redis tests (install redis-server to run them; under CI=true they fail instead): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{t: t, path: path, Port: port, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server on s.Port and waits until it answers PING.
func (s *Server) Start() {
	s.t.Helper()
	s.out.Reset()
	s.cmd = exec.Command(s.path, "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	s.cmd.Stdout = &s.out
	s.cmd.Stderr = &s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	if !testkit.Poll(5*time.Second, func() bool { return ping(s.Port) == nil }) {
		s.Stop()
		s.t.Fatalf("redis-server on port %d did not answer within 5s; its output:\n%s", s.Port, s.out.String())
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

func ping(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}
