package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
)

func newFunction(t *testing.T, cfg Config, opts ...Option) *Function {
	t.Helper()
	f, err := New("fn", &cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

func invoke(t *testing.T, f *Function, event string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := f.Invoke(ctx, &backend.Invocation{Function: "fn", Event: []byte(event), RequestID: "req-" + strings.ReplaceAll(t.Name(), "/", "-")}, nil)
	return string(out), err
}

func mustInvoke(t *testing.T, f *Function, event string) string {
	t.Helper()
	out, err := invoke(t, f, event, 30*time.Second)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return out
}

func asFunctionError(t *testing.T, err error) *backend.FunctionError {
	t.Helper()
	var fe *backend.FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a function error", err)
	}
	return fe
}

// pids lists the processes of the function's instances.
func pids(f *Function) []int {
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	var out []int
	for in := range f.pool.all {
		if <-in.started; in.cmd != nil {
			out = append(out, in.cmd.Process.Pid)
		}
	}
	return out
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

const slowEvent = `{"queryStringParameters":{"ms":"%s"}}`

func slow(ms string) string { return strings.Replace(slowEvent, "%s", ms, 1) }

// New touches nothing: a handler that does not exist is found by Start,
// and until Start succeeds an invocation is refused, not run.
func TestNewDoesNoIO(t *testing.T) {
	f, err := New("fn", &Config{Handler: filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer f.Close()
	if _, err := invoke(t, f, `{}`, time.Second); !backend.IsKind(err, backend.KindUnavailable) || !errors.Is(err, backend.ErrNotStarted) {
		t.Errorf("Invoke before Start: got %v, want unavailable: %v", err, backend.ErrNotStarted)
	}
	if err := f.Start(context.Background()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start: got %v, want %v", err, fs.ErrNotExist)
	}
	if _, err := invoke(t, f, `{}`, time.Second); !errors.Is(err, backend.ErrNotStarted) {
		t.Errorf("Invoke after a failed Start: got %v, want %v", err, backend.ErrNotStarted)
	}
}

// Start's ctx bounds the start only: the function serves after it ends.
// Start is called once, and not after Close; Close needs no Start.
func TestStartOnce(t *testing.T) {
	cfg := Config{Handler: examples["hello"]}
	f, err := New("fn", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	mustInvoke(t, f, `{}`)
	if err := f.Start(context.Background()); err == nil {
		t.Error("second Start: got no error")
	}

	closed, err := New("fn", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.Close(); err != nil {
		t.Errorf("Close without Start: %v", err)
	}
	if err := closed.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := closed.Start(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("Start after Close: got %v, want %v", err, errClosed)
	}
	if running, _ := closed.Stats(); running != 0 {
		t.Errorf("%d instances after Start on a closed function", running)
	}
}

func TestWarmStartReusesTheInstance(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["hello"], Env: map[string]string{"GREETING": "Hi"}})
	for i := 0; i < 3; i++ {
		out := mustInvoke(t, f, `{"queryStringParameters":{"name":"Ann"}}`)
		if !strings.Contains(out, `Hi, Ann!`) {
			t.Fatalf("result %s", out)
		}
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("started %d instances for 3 sequential calls, want 1 (warm reuse)", n)
	}
}

func TestParallelRequestsScaleOut(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Concurrency: 10})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := invoke(t, f, slow("400"), 30*time.Second); err != nil {
				t.Errorf("invoke: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := f.seq.Load(); n != 4 {
		t.Errorf("started %d instances for 4 parallel calls, want 4", n)
	}
}

func TestConcurrencyCapsInstances(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Concurrency: 2, QueueTimeout: 20 * time.Second})
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := invoke(t, f, slow("200"), 30*time.Second); err != nil {
				t.Errorf("invoke: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := f.seq.Load(); n != 2 {
		t.Errorf("started %d instances with concurrency 2, want 2", n)
	}
}

func TestThrottledPastConcurrency(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Concurrency: 1, QueueTimeout: 50 * time.Millisecond})
	busy := make(chan error, 1)
	go func() { _, err := invoke(t, f, slow("1500"), 30*time.Second); busy <- err }()
	testkit.Eventually(t, 10*time.Second, "the first call to take the only instance", func() bool { r, idle := f.Stats(); return r == 1 && idle == 0 })
	_, err := invoke(t, f, slow("1"), 30*time.Second)
	if !backend.IsKind(err, backend.KindThrottled) {
		t.Errorf("second call: got %v, want throttled", err)
	}
	if err := <-busy; err != nil {
		t.Errorf("first call: %v", err)
	}
}

func TestIdleInstancesAreReaped(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["hello"], IdleTimeout: 200 * time.Millisecond})
	mustInvoke(t, f, `{}`)
	ps := pids(f)
	if len(ps) != 1 {
		t.Fatalf("pids %v", ps)
	}
	testkit.Eventually(t, 10*time.Second, "the idle instance to be stopped", func() bool { r, _ := f.Stats(); return r == 0 && !alive(ps[0]) })
	mustInvoke(t, f, `{}`) // a cold start again
	if n := f.seq.Load(); n != 2 {
		t.Errorf("instances started: %d, want 2", n)
	}
}

func TestMinInstancesStayWarm(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["hello"], MinInstances: 2, IdleTimeout: 100 * time.Millisecond})
	testkit.Eventually(t, 10*time.Second, "two warm instances", func() bool { r, idle := f.Stats(); return r == 2 && idle == 2 })
	// A twin with the same idle timeout has its idle instance reaped: the
	// idle timeout has passed for f's instances too.
	twin := newFunction(t, Config{Handler: examples["hello"], IdleTimeout: 100 * time.Millisecond})
	mustInvoke(t, twin, `{}`)
	testkit.Eventually(t, 10*time.Second, "the twin's idle instance to be reaped", func() bool { r, _ := twin.Stats(); return r == 0 })
	if r, _ := f.Stats(); r != 2 {
		t.Errorf("running %d after idling, want minInstances 2", r)
	}
	mustInvoke(t, f, `{}`)
	if n := f.seq.Load(); n != 2 {
		t.Errorf("instances started: %d, want 2 (the call used a warm one)", n)
	}
}

func TestTimeoutKillsAndRecovers(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Timeout: 300 * time.Millisecond})
	mustInvoke(t, f, slow("1")) // warm up
	ps := pids(f)
	_, err := invoke(t, f, slow("5000"), 30*time.Second)
	fe := asFunctionError(t, err)
	if fe.Type != "Sandbox.Timedout" || !strings.Contains(string(fe.Payload), "Task timed out after 0.30 seconds") {
		t.Errorf("timeout error: %s %s", fe.Type, fe.Payload)
	}
	testkit.Eventually(t, 10*time.Second, "the timed-out instance to be killed", func() bool { return !alive(ps[0]) })
	if out := mustInvoke(t, f, slow("1")); !strings.Contains(out, "slept 1ms") {
		t.Errorf("after the timeout: %s", out)
	}
	if n := f.seq.Load(); n != 2 {
		t.Errorf("instances started: %d, want 2 (a fresh one after the kill)", n)
	}
}

func TestCrashMidInvocation(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["crash"]})
	for i := 1; i <= 2; i++ {
		_, err := invoke(t, f, `{}`, 30*time.Second)
		fe := asFunctionError(t, err)
		if fe.Type != "Runtime.ExitError" || !strings.Contains(string(fe.Payload), "Runtime exited with error: exit status 2") {
			t.Errorf("crash %d: %s %s", i, fe.Type, fe.Payload)
		}
	}
	testkit.Eventually(t, 10*time.Second, "crashed instances to be gone", func() bool { r, _ := f.Stats(); return r == 0 })
	if n := f.seq.Load(); n != 2 {
		t.Errorf("instances started: %d, want a fresh one per call", n)
	}
}

func TestInitFailure(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["initfail"]})
	_, err := invoke(t, f, `{}`, 30*time.Second)
	fe := asFunctionError(t, err)
	if fe.Type != "Runtime.ExitError" || !strings.Contains(string(fe.Payload), "exit status 1") {
		t.Errorf("init failure: %s %s", fe.Type, fe.Payload)
	}
	testkit.Eventually(t, 10*time.Second, "the failed instance to be gone", func() bool { r, _ := f.Stats(); return r == 0 })

	ok := newFunction(t, Config{Handler: examples["initfail"], Env: map[string]string{"REQUIRED_SETTING": "1"}})
	if out := mustInvoke(t, ok, `{}`); out != `"ok"` {
		t.Errorf("with the setting: %s", out)
	}
}

func fake(mode string) Config {
	exe, _ := os.Executable()
	return Config{Handler: exe, Env: map[string]string{"PORTICO_TEST_RUNTIME": mode}}
}

func TestInitErrorReported(t *testing.T) {
	f := newFunction(t, fake("initerror"))
	_, err := invoke(t, f, `{}`, 30*time.Second)
	fe := asFunctionError(t, err)
	if fe.Type != "Runtime.ConfigInvalid" || !strings.Contains(string(fe.Payload), "config missing") {
		t.Errorf("init error: %s %s", fe.Type, fe.Payload)
	}
}

func TestResponseTooLarge(t *testing.T) {
	for _, mode := range []string{"bigresponse", "hugeresponse"} {
		t.Run(mode, func(t *testing.T) {
			f := newFunction(t, fake(mode))
			_, err := invoke(t, f, `{}`, 30*time.Second)
			fe := asFunctionError(t, err)
			if fe.Type != "Function.ResponseSizeTooLarge" {
				t.Errorf("got %s %s", fe.Type, fe.Payload)
			}
		})
	}
}

func TestErrorWithTypeHeader(t *testing.T) {
	f := newFunction(t, fake("errorheader"))
	_, err := invoke(t, f, `{}`, 30*time.Second)
	fe := asFunctionError(t, err)
	if fe.Type != "Custom.Failure" || string(fe.Payload) != `{"errorMessage":"not json","errorType":"Custom.Failure"}` {
		t.Errorf("got %s %s", fe.Type, fe.Payload)
	}
}

func TestForeignRequestIDRefused(t *testing.T) {
	f := newFunction(t, fake("wrongid"))
	if out := mustInvoke(t, f, `{}`); out != `"real"` {
		t.Errorf("got %s, want the answer for the real request id", out)
	}
}

func TestEnvironmentAndHeaders(t *testing.T) {
	f := newFunction(t, fake("env"), WithRegion("eu-west-1"))
	env := mustInvoke(t, f, `{}`)
	for _, want := range []string{
		`AWS_LAMBDA_FUNCTION_NAME=fn`, `AWS_LAMBDA_FUNCTION_VERSION=$LATEST`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128`,
		`AWS_REGION=eu-west-1`, `AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn`, `AWS_LAMBDA_RUNTIME_API=127.0.0.1:`,
		`LAMBDA_TASK_ROOT=/`, `TZ=UTC`, `_HANDLER=`, `PORTICO_TEST_RUNTIME=env`, `AWS_LAMBDA_INITIALIZATION_TYPE=on-demand`,
	} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
	h := newFunction(t, fake("headers"))
	headers := mustInvoke(t, h, `{}`)
	for _, want := range []string{"Lambda-Runtime-Aws-Request-Id:[req-", "Lambda-Runtime-Deadline-Ms:[", "Lambda-Runtime-Invoked-Function-Arn:[arn:aws:lambda:", "Lambda-Runtime-Trace-Id:[Root=1-"} {
		if !strings.Contains(headers, want) {
			t.Errorf("next headers lack %s: %s", want, headers)
		}
	}
}

func TestOutputIsLoggedAndBounded(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	f := newFunction(t, fake("chatty"), WithLogger(zap.New(core)))
	mustInvoke(t, f, `{}`)
	f.Close()
	var sawLine, sawCut bool
	for _, e := range logs.FilterMessage("output").All() {
		fields := e.ContextMap()
		if fields["request_id"] == nil || fields["function"] != "fn" {
			t.Errorf("output entry without function or request id: %v", fields)
		}
		line, _ := fields["line"].(string)
		sawLine = sawLine || line == "line one"
		if len(line) > maxLineBytes {
			t.Errorf("a %d-byte line was logged, limit %d", len(line), maxLineBytes)
		}
		sawCut = sawCut || fields["truncated"] == true
	}
	if !sawLine || !sawCut {
		t.Errorf("saw line %v, saw a truncated line %v", sawLine, sawCut)
	}
}

// TestLogTailHoldsTheInvocationsLines: the lines a function wrote before
// answering are in its invocation's tail when Invoke returns, though the
// pipes are read asynchronously, and no other invocation's lines are.
func TestLogTailHoldsTheInvocationsLines(t *testing.T) {
	f := newFunction(t, fake("tail"))
	for i := range 20 {
		id := fmt.Sprintf("req-tail-%d", i)
		var tail backend.LogTail
		if _, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: id, LogTail: &tail}, nil); err != nil {
			t.Fatal(err)
		}
		got := withoutPlatformLines(string(tail.Bytes())) // report_test.go checks those
		var want strings.Builder
		for n := range 50 {
			fmt.Fprintf(&want, "%s line %d\n", id, n)
		}
		if stdout := strings.ReplaceAll(got, id+" on stderr\n", ""); stdout != want.String() {
			t.Fatalf("invocation %d: tail\n%s\nwant the 50 stdout lines of this invocation in order", i, got)
		}
		if !strings.Contains(got, id+" on stderr\n") {
			t.Fatalf("invocation %d: tail lacks the stderr line:\n%s", i, got)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	if err := sharedLimiter().Available(); err != nil {
		t.Skipf("memory limits not enforceable here: %v", err)
	}
	cfg := fake("memhog")
	cfg.Memory = 128
	f := newFunction(t, cfg)
	_, err := invoke(t, f, `{}`, 60*time.Second)
	fe := asFunctionError(t, err)
	if fe.Type != "Runtime.ExitError" || !strings.Contains(string(fe.Payload), "signal: killed") {
		t.Errorf("got %s %s, want the instance killed", fe.Type, fe.Payload)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], MinInstances: 3})
	testkit.Eventually(t, 10*time.Second, "three instances", func() bool { r, idle := f.Stats(); return r == 3 && idle == 3 })
	go invoke(t, f, slow("10000"), 30*time.Second) //nolint:errcheck
	testkit.Eventually(t, 10*time.Second, "the call to take an instance", func() bool { _, idle := f.Stats(); return idle == 2 })
	ps := pids(f)
	if len(ps) != 3 {
		t.Fatalf("pids %v", ps)
	}
	f.Close()
	for _, pid := range ps {
		if alive(pid) {
			t.Errorf("pid %d alive after Close", pid)
		}
	}
}

func TestKilledHostTakesInstancesAlong(t *testing.T) {
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "PORTICO_TEST_HOST="+examples["hello"])
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	var ps []int
	sc := bufio.NewScanner(out)
	for len(ps) < 2 && sc.Scan() {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("host said %q", sc.Text())
		}
		ps = append(ps, pid)
	}
	if len(ps) != 2 {
		t.Fatalf("host printed pids %v", ps)
	}
	for _, pid := range ps {
		if !alive(pid) {
			t.Fatalf("instance %d not running before the kill", pid)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
	cmd.Wait()                          //nolint:errcheck
	testkit.Eventually(t, 10*time.Second, "instances to die with their host", func() bool {
		for _, pid := range ps {
			if alive(pid) && !zombie(pid) {
				return false
			}
		}
		return true
	})
}

// zombie reports a process that has exited but not been reaped (its parent
// was killed and init has not reaped it yet).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// Close may be called again and from several goroutines at once: none
// panics on the closed channel, and each returns once the instances are gone.
func TestCloseIsIdempotent(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["hello"], MinInstances: 1})
	testkit.Eventually(t, 10*time.Second, "a warm instance", func() bool { _, idle := f.Stats(); return idle == 1 })
	ps := pids(f)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			f.Close()
			for _, pid := range ps {
				if alive(pid) && !zombie(pid) {
					t.Errorf("pid %d alive after a Close returned", pid)
				}
			}
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Errorf("Close after Close: %v", err)
	}
}

// Close right after Start (minInstances starting) must stop every
// instance, including those whose start was under way.
func TestCloseRightAfterStartLeavesNoProcess(t *testing.T) {
	for i := 0; i < 10; i++ {
		f, err := New("fn", &Config{Handler: examples["hello"], MinInstances: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Close at a different moment of the start each round: the wait is
		// the behaviour under test, not a wait for something.
		time.Sleep(time.Duration(i) * time.Millisecond)
		started := f.seq.Load()
		ps := pids(f)
		f.Close()
		for _, pid := range ps {
			if alive(pid) && !zombie(pid) {
				t.Errorf("round %d: pid %d alive after Close (%d started)", i, pid, started)
			}
		}
		if r, _ := f.Stats(); r < 0 {
			t.Errorf("negative instance count %d", r)
		}
	}
}

// An instance that dies between being picked and being handed the event
// gives the event back: the call is retried on another instance instead of
// waiting out the function's timeout.
func TestDeadInstanceIsNotDispatchedTo(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["hello"], Timeout: 5 * time.Second})
	mustInvoke(t, f, `{}`)
	in, err := f.pool.acquire(context.Background(), time.Second)
	if err != nil || in == nil {
		t.Fatalf("acquire: %v %v", in, err)
	}
	in.kill()
	<-in.gone
	c := newCall(&backend.Invocation{RequestID: "r", Event: []byte(`{}`)}, time.Second, time.Now())
	start := time.Now()
	in.dispatch(c)
	select {
	case out := <-c.result:
		if !out.retry {
			t.Errorf("outcome %+v, want a retry", out)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the call waited on a dead instance")
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("took %v", time.Since(start))
	}
	if out := mustInvoke(t, f, `{}`); !strings.Contains(out, "Hello") {
		t.Errorf("after: %s", out)
	}
}

// A runtime that exits while a background child still holds its stdout
// leaves the pool at once: the next call starts a fresh instance instead of
// waiting out the function's timeout on the dead one.
func TestExitedRuntimeLeavesPoolAtOnce(t *testing.T) {
	cfg := fake("exitafterone")
	cfg.Timeout = 20 * time.Second
	f := newFunction(t, cfg)
	for i := range 3 {
		start := time.Now()
		event := `{"i":` + strconv.Itoa(i) + `}`
		out, err := invoke(t, f, event, 30*time.Second)
		if err != nil || out != event {
			t.Fatalf("call %d: %s %v", i, out, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("call %d took %v (function timeout %v)", i, took, cfg.Timeout)
		}
	}
}

// A function gets Lambda's environment, its env and the variables its
// inheritEnv names: nothing else of Portico's environment, credentials
// included.
func TestEnvironmentInheritsOnlyWhatIsListed(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAPORTICO")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "portico-secret")
	t.Setenv("AWS_SESSION_TOKEN", "portico-token")
	t.Setenv("PORTICO_DB_PASSWORD", "hunter2")
	t.Setenv("SHARED_SETTING", "from-portico")
	t.Setenv("HOME", "/home/portico")
	cfg := fake("env")
	cfg.InheritEnv = []string{"SHARED_SETTING", "AWS_SESSION_TOKEN", "NOT_IN_PORTICO"}
	f := newFunction(t, cfg)
	var env string
	if err := json.Unmarshal([]byte(mustInvoke(t, f, `{}`)), &env); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSpace(env), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	want := []string{
		"AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
		"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
		"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SESSION_TOKEN",
		"AWS_XRAY_CONTEXT_MISSING", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT", "LANG", "PATH",
		"PORTICO_TEST_RUNTIME", "SHARED_SETTING", "TZ", "_HANDLER",
	}
	var names []string
	for k := range got {
		names = append(names, k)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("variables:\n got %v\nwant %v", names, want)
	}
	for k, v := range map[string]string{
		"SHARED_SETTING": "from-portico", "AWS_SESSION_TOKEN": "portico-token",
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
	} {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}
