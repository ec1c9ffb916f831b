package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

// The reliability suite: sustained load through a real `portico serve`
// while it is reloaded every 200 ms, its local function crashes every 50th
// call, its Redis is killed and restarted, and finally SIGTERM arrives. The
// only answers allowed are the documented ones: 200, 500 for a crashed
// invocation, and, after SIGTERM, refused new connections (or ones reset
// from the listener's backlog, never accepted). A reset or EOF on a request
// the gateway accepted, a hang, or any other status fails it.
func TestReliability(t *testing.T) {
	if testing.Short() {
		t.Skip("reliability suite: not in -short")
	}
	bin := testkit.PorticoBinary(t)
	redis := redistest.Start(t)
	flaky, _ := filepath.Abs(filepath.Join("testdata", "flaky"))
	port, admin := testkit.FreePort(t), testkit.FreePort(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "portico.yaml")
	writeFile(t, config, fmt.Sprintf(`
listen: 127.0.0.1:%d
admin: 127.0.0.1:%d
log: {level: info, access: false}
limits: {timeout: 10s}
ratelimit: {store: redis, redis: {url: %q, timeout: 50ms}, onStoreError: allow}
throttle: {rate: 100000, burst: 100000}
functions:
  ok: {backend: builtin, handler: mock, response: {statusCode: 200, body: ok}}
  flaky: {backend: process, runtime: go, source: %q, concurrency: 32, timeout: 10s}
routes:
  - {route: GET /ok, function: ok}
  - {route: GET /flaky, function: flaky}
`, port, admin, redis.URL, flaky))

	var out testkit.Buffer
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("gateway output:\n%s", out.String())
		}
	})
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", admin), exited)
	output := out.String

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	run := func(name string, d time.Duration, during func(stop <-chan struct{})) *tally {
		t.Helper()
		tl := load(base, 8, d, during)
		t.Logf("%s: %s", name, tl)
		return tl
	}

	// (a) SIGHUP every 200 ms, (b) the crash every 50th call throughout.
	a := run("reload every 200ms", 3*time.Second, func(stop <-chan struct{}) {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = cmd.Process.Signal(syscall.SIGHUP)
			}
		}
	})
	a.check(t, false)
	if n := strings.Count(output(), `"msg":"reloaded"`); n < 5 {
		t.Errorf("%d reloads logged in 3s of SIGHUP every 200ms", n)
	}
	if a.status["/flaky 500"] == 0 {
		t.Errorf("no crash answered 500 in %d calls of a function that crashes every 50th", a.sent/2)
	}
	// (c) Redis killed and restarted under load.
	c := run("redis killed and restarted", 3*time.Second, func(stop <-chan struct{}) {
		pause(stop, 700*time.Millisecond)
		redis.Stop()
		pause(stop, time.Second)
		redis.Start()
	})
	c.check(t, false)
	for _, want := range []string{"rate-limit store down", "rate-limit store recovered"} {
		if !strings.Contains(output(), want) {
			t.Errorf("the gateway did not log %q", want)
		}
	}
	// (d) SIGTERM mid-load: accepted requests finish, new connections are
	// refused, and serve exits 0.
	var exitErr error
	d := run("SIGTERM mid-load", 3*time.Second, func(stop <-chan struct{}) {
		pause(stop, time.Second)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			exitErr = waitErr
		case <-time.After(20 * time.Second):
			exitErr = errors.New("serve did not exit within 20s of SIGTERM")
		}
	})
	d.check(t, true)
	if exitErr != nil {
		t.Errorf("serve after SIGTERM: %v", exitErr)
	}
	if d.refused == 0 {
		t.Errorf("no connection was refused after SIGTERM")
	}
}

// tally counts what the clients saw.
type tally struct {
	mu      sync.Mutex
	sent    int
	status  map[string]int // "path status" → count
	refused int            // new connections refused or never accepted (only after SIGTERM)
	failed  map[string]int // any other error → count
}

func (tl *tally) String() string {
	keys := make([]string, 0, len(tl.status))
	for k := range tl.status {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d;", tl.sent)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s: %d;", k, tl.status[k])
	}
	fmt.Fprintf(&b, " refused %d; failed %d %v", tl.refused, len(tl.failed), tl.failed)
	return b.String()
}

// check fails t for any answer but 200, a crash's 500 on /flaky, and (when
// refusedOK) a refused connection.
func (tl *tally) check(t *testing.T, refusedOK bool) {
	t.Helper()
	for k, n := range tl.status {
		if k != "/ok 200" && k != "/flaky 200" && k != "/flaky 500" {
			t.Errorf("%d × %s: not an answer this suite allows", n, k)
		}
	}
	for reason, n := range tl.failed {
		t.Errorf("%d requests failed: %s", n, reason)
	}
	if tl.refused > 0 && !refusedOK {
		t.Errorf("%d connections refused while serving", tl.refused)
	}
	if tl.status["/ok 200"] == 0 || tl.status["/flaky 200"] == 0 {
		t.Errorf("a route answered nothing: %v", tl.status)
	}
}

// load runs workers clients against /ok and /flaky in turn for d (each
// request bounded by a 15 s timeout, so a hang shows as a failure), and
// runs during alongside; during gets a channel closed when the load ends.
func load(base string, workers int, d time.Duration, during func(stop <-chan struct{})) *tally {
	tl := &tally{status: map[string]int{}, failed: map[string]int{}}
	client := &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, DisableCompression: true},
	}
	defer client.CloseIdleConnections()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); during(stop) }()
	end := time.Now().Add(d)
	var workersDone sync.WaitGroup
	for w := range workers {
		workersDone.Add(1)
		go func() {
			defer workersDone.Done()
			paths := []string{"/ok", "/flaky"}
			for i := w; time.Now().Before(end); i++ {
				path := paths[i%2]
				status, refused, err := get(client, base+path)
				tl.mu.Lock()
				tl.sent++
				switch {
				case err == nil:
					tl.status[fmt.Sprintf("%s %d", path, status)]++
				case refused:
					tl.refused++
				default:
					tl.failed[err.Error()]++
				}
				tl.mu.Unlock()
				if refused {
					return // the gateway is gone
				}
			}
		}()
	}
	workersDone.Wait()
	close(stop)
	wg.Wait()
	return tl
}

// get asks url and returns the status, or the error and whether it means
// the gateway did not take the connection: refused, or reset while new —
// a connection still in the listener's backlog when it closes is reset by
// the kernel, its request never read (the Go client retries a reused
// connection's reset itself, so a reset that surfaces was a new one).
func get(client *http.Client, url string) (status int, refused bool, err error) {
	var reused bool
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	}), "GET", url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		refused = errors.Is(err, syscall.ECONNREFUSED) || !reused && errors.Is(err, syscall.ECONNRESET)
		return 0, refused, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, false, fmt.Errorf("reading the body: %w", err)
	}
	return resp.StatusCode, false, nil
}

func pause(stop <-chan struct{}, d time.Duration) {
	select {
	case <-stop:
	case <-time.After(d):
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitReady waits until url answers 200, for at most two minutes (the
// first start builds the function).
func waitReady(t *testing.T, url string, exited <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("serve exited before it was ready")
		case <-ctx.Done():
			t.Fatalf("%s not ready within 2 minutes", url)
		case <-tick.C:
		}
	}
}

// served is a `portico` child process a test started.
type served struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once it has exited; err is then set
	err    error
	out    testkit.Buffer
}

// startPortico starts bin with args (and env added to the test's
// environment), its output kept and logged if the test fails; it is killed
// at cleanup.
func startPortico(t *testing.T, bin string, env []string, args ...string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	s.cmd.Env = append(os.Environ(), env...)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("portico %s output:\n%s", strings.Join(args, " "), s.output())
		}
	})
	return s
}

// output is what the process wrote so far.
func (s *served) output() string { return s.out.String() }
