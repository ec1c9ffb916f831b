package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// TestAccessLogDrained: every request served before a SIGTERM has its
// line in the access log once serve has exited, though lines are buffered
// for up to a second.
func TestAccessLogDrained(t *testing.T) {
	const requests = 1000
	for _, tc := range []struct {
		name string
		file bool // log.file, or the process log on stderr
	}{{"log.file", true}, {"stderr", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "access.log")
			logConfig := "{level: info}"
			if tc.file {
				logConfig = fmt.Sprintf("{level: info, file: %q}", file)
			}
			s, base := serveAccessLog(t, dir, logConfig)
			out := loadThenStop(t, s, base+"/hello", requests, 8)
			if tc.file {
				out = readFile(t, file)
			}
			if got := bytes.Count(out, []byte(`"logger":"access"`)); got != requests {
				t.Errorf("got %d access log lines, want %d", got, requests)
			}
		})
	}
}

// TestFunctionLogDrained: a local function's START, END and REPORT lines
// are buffered like the access log, and every invocation's are written
// once serve has exited.
func TestFunctionLogDrained(t *testing.T) {
	const requests = 200
	code, err := filepath.Abs(filepath.Join("..", "..", "examples", "python-hello"))
	if err != nil {
		t.Fatal(err)
	}
	s, base := serveListening(t, t.TempDir(), fmt.Sprintf(`
functions: {hello: {backend: process, runtime: python3.11, code: %q, handler: app.lambda_handler}}
routes: [{route: "GET /hello", function: hello}]
`, code))
	out := loadThenStop(t, s, base+"/hello", requests, 4)
	for _, line := range []string{`"line":"START RequestId: `, `"line":"END RequestId: `, `"line":"REPORT RequestId: `} {
		if got := bytes.Count(out, []byte(line)); got != requests {
			t.Errorf("got %d %s… lines, want %d", got, line[8:14], requests)
		}
	}
}

// TestAccessLogReopen: after logrotate renames log.file, SIGUSR1 makes
// serve write to a new file at the configured path, as nginx does.
func TestAccessLogReopen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "access.log")
	s, base := serveAccessLog(t, dir, fmt.Sprintf("{file: %q}", file))
	lines := func(path string) int { return bytes.Count(readFile(t, path), []byte(`"logger":"access"`)) }
	for range 3 {
		getOK(t, base+"/hello")
	}
	testkit.Eventually(t, 5*time.Second, "3 lines within the flush interval", func() bool { return lines(file) == 3 })
	if fi, err := os.Stat(file); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o640 {
		t.Errorf("log.file mode %v, want 0640", fi.Mode().Perm())
	}
	rotated := file + ".1"
	if err := os.Rename(file, rotated); err != nil {
		t.Fatal(err)
	}
	getOK(t, base+"/hello") // written to the renamed file, as with nginx
	_ = s.cmd.Process.Signal(syscall.SIGUSR1)
	testkit.Eventually(t, 5*time.Second, "a new log.file", func() bool { _, err := os.Stat(file); return err == nil })
	for range 2 {
		getOK(t, base+"/hello")
	}
	testkit.Eventually(t, 5*time.Second, "2 lines in the new file", func() bool { return lines(file) == 2 })
	if got := lines(rotated); got != 4 {
		t.Errorf("got %d lines in the rotated file, want 4", got)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.exited
	if s.err != nil {
		t.Errorf("serve: %v", s.err)
	}
}

// serveAccessLog serves a mock route with log: logConfig and returns the
// process and its base URL once it is ready.
func serveAccessLog(t *testing.T, dir, logConfig string) (*served, string) {
	t.Helper()
	return serveListening(t, dir, fmt.Sprintf(`
log: %s
functions: {hello: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}}
routes: [{route: "GET /hello", function: hello}]
`, logConfig))
}

// serveListening serves config, given free listen and admin addresses, and
// returns the process and its base URL once it is ready.
func serveListening(t *testing.T, dir, config string) (*served, string) {
	t.Helper()
	port, admin := testkit.FreePort(t), testkit.FreePort(t)
	file := filepath.Join(dir, "portico.yaml")
	writeFile(t, file, fmt.Sprintf("listen: 127.0.0.1:%d\nadmin: 127.0.0.1:%d\n%s", port, admin, config))
	s := startPortico(t, testkit.PorticoBinary(t), nil, "serve", "--config", file)
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", admin), s.exited)
	return s, fmt.Sprintf("http://127.0.0.1:%d", port)
}

// loadThenStop sends requests GETs of url from workers clients, then
// SIGTERM, and returns what serve wrote once it has exited.
func loadThenStop(t *testing.T, s *served, url string, requests, workers int) []byte {
	t.Helper()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < requests; i += workers {
				getOK(t, url)
			}
		})
	}
	wg.Wait()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.exited
	if s.err != nil {
		t.Fatalf("serve: %v", s.err)
	}
	return []byte(s.output())
}

func getOK(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return b
}
