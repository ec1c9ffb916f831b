package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/metering"
)

// reportLine matches Lambda's REPORT line of request id, fields in
// Lambda's order, each followed by a tab; Init Duration is captured when
// present.
func reportLine(id string) *regexp.Regexp {
	return regexp.MustCompile(`^REPORT RequestId: ` + regexp.QuoteMeta(id) +
		"\tDuration: (\\d+\\.\\d\\d) ms\tBilled Duration: (\\d+) ms\tMemory Size: (\\d+) MB\tMax Memory Used: (\\d+) MB\t(?:Init Duration: (\\d+\\.\\d\\d) ms\t)?$")
}

// invokeTail invokes f as request id and returns the lines of its log tail.
func invokeTail(t *testing.T, f *Function, id string) []string {
	t.Helper()
	var tail backend.LogTail
	if _, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: id, LogTail: &tail}, nil); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(tail.Bytes()), "\n"), "\n")
}

// lastReport is the fields of the REPORT line that ends lines (reportLine's
// submatches).
func lastReport(t *testing.T, id string, lines []string) []string {
	t.Helper()
	m := reportLine(id).FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("no REPORT line:\n%s", strings.Join(lines, "\n"))
	}
	return m
}

// TestReportLines: each invocation's log tail starts with START and ends
// with END and REPORT, as Lambda's tail shows them, around the function's
// own lines; the first invocation of an instance reports its init.
func TestReportLines(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	cfg := fake("tail")
	cfg.Memory = 256
	f := newFunction(t, cfg, WithLogger(zap.New(core)))
	for i := range 3 {
		id := fmt.Sprintf("req-report-%d", i)
		var tail backend.LogTail
		if _, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: id, LogTail: &tail}, nil); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(tail.Bytes()), "\n"), "\n")
		if len(lines) != 54 {
			t.Fatalf("invocation %d: %d lines in the tail, want START, 51 of the function's, END, REPORT:\n%s", i, len(lines), tail.Bytes())
		}
		if want := "START RequestId: " + id + " Version: $LATEST"; lines[0] != want {
			t.Errorf("invocation %d: first line %q, want %q", i, lines[0], want)
		}
		if want := "END RequestId: " + id; lines[52] != want {
			t.Errorf("invocation %d: line 53 %q, want %q", i, lines[52], want)
		}
		m := reportLine(id).FindStringSubmatch(lines[53])
		if m == nil {
			t.Fatalf("invocation %d: last line %q is not a REPORT line", i, lines[53])
		}
		var ms float64
		var billed int
		fmt.Sscan(m[1], &ms)     //nolint:errcheck
		fmt.Sscan(m[2], &billed) //nolint:errcheck
		if m[3] != "256" {
			t.Errorf("Memory Size %s MB, want 256", m[3])
		}
		if cold := m[5] != ""; cold != (i == 0) {
			t.Errorf("invocation %d: Init Duration %q; want one on the first invocation only", i, m[5])
		}
		var init float64
		if m[5] != "" {
			fmt.Sscan(m[5], &init) //nolint:errcheck
		}
		// Billed: duration plus init, rounded up to the millisecond once
		// (the printed figures are rounded to hundredths).
		if lo, hi := int(ms+init-0.01), int(ms+init+0.01)+1; billed < lo || billed > hi || billed < 1 {
			t.Errorf("invocation %d: billed %d ms for %.2f ms + init %.2f ms", i, billed, ms, init)
		}
	}
	// The same lines in Portico's log, with the function and request id.
	var platform []string
	for _, e := range logs.FilterMessage("output").FilterField(zap.String("stream", "platform")).All() {
		fields := e.ContextMap()
		if fields["function"] != "fn" || !strings.HasPrefix(fmt.Sprint(fields["request_id"]), "req-report-") {
			t.Errorf("platform line without function or request id: %v", fields)
		}
		platform = append(platform, fmt.Sprint(fields["line"]))
	}
	if len(platform) != 9 {
		t.Fatalf("got %d platform lines in the log, want 9:\n%s", len(platform), strings.Join(platform, "\n"))
	}
	if !strings.HasPrefix(platform[0], "START RequestId: req-report-0 ") || !reportLine("req-report-2").MatchString(platform[8]) {
		t.Errorf("log lines:\n%s", strings.Join(platform, "\n"))
	}
	tt := f.Meter().Totals()
	if tt.Invocations != 3 || tt.Inits != 1 || tt.BilledDuration < 3*time.Millisecond || tt.MemoryMB != 256 {
		t.Errorf("totals %+v", tt)
	}
}

// TestMaxMemoryUsed: a function holding 64 MiB reports at least that as
// Max Memory Used, and not absurdly more, and so does its meter.
func TestMaxMemoryUsed(t *testing.T) {
	cfg := fake("alloc64")
	cfg.Memory = 512
	f := newFunction(t, cfg)
	for i := range 2 {
		id := fmt.Sprintf("req-alloc-%d", i)
		lines := invokeTail(t, f, id)
		m := lastReport(t, id, lines)
		t.Log(lines[len(lines)-1])
		var used int
		fmt.Sscan(m[4], &used) //nolint:errcheck
		// The test binary itself takes a few MB more; 512 would be the
		// whole setting.
		if used < 64 || used > 256 {
			t.Errorf("invocation %d: Max Memory Used %d MB, want 64 MB and a little more", i, used)
		}
	}
	if used := f.Meter().Totals().MaxMemoryUsed; used < 64*metering.MiB || used > 256*metering.MiB {
		t.Errorf("meter: max memory used %d bytes", used)
	}
	t.Logf("measured from the memory cgroup: %v", sharedLimiter().Available() == nil)
}

// TestBillingGranularity: the REPORT line's billed duration follows
// billing.granularity.
func TestBillingGranularity(t *testing.T) {
	f := newFunction(t, fake("echo"), WithBilling(metering.Config{Granularity: 100 * time.Millisecond}))
	for i := range 2 {
		id := fmt.Sprintf("req-granule-%d", i)
		lines := invokeTail(t, f, id)
		m := lastReport(t, id, lines)
		var billed int
		fmt.Sscan(m[2], &billed) //nolint:errcheck
		if billed == 0 || billed%100 != 0 {
			t.Errorf("invocation %d: billed %d ms, want a multiple of 100 ms", i, billed)
		}
	}
	if tt := f.Meter().Totals(); tt.BilledDuration%(100*time.Millisecond) != 0 || tt.Invocations != 2 {
		t.Errorf("totals %+v", tt)
	}
}

// TestTimeoutReported: an invocation past the function's timeout is
// billed for the time it ran, as Lambda bills it.
func TestTimeoutReported(t *testing.T) {
	cfg := Config{Handler: examples["slow"], Timeout: 500 * time.Millisecond}
	f := newFunction(t, cfg)
	var tail backend.LogTail
	_, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{"queryStringParameters":{"ms":"3000"}}`), RequestID: "req-slow", LogTail: &tail}, nil)
	if err == nil {
		t.Fatal("no timeout")
	}
	tt := f.Meter().Totals()
	if tt.Invocations != 1 || tt.BilledDuration < 500*time.Millisecond || tt.BilledDuration > 1500*time.Millisecond {
		t.Errorf("totals %+v, want one invocation billed about the 500 ms timeout and the init", tt)
	}
}

// TestPeakMemoryFallback: without a cgroup, the peak is the VmHWM of the
// process and of the processes under it.
func TestPeakMemoryFallback(t *testing.T) {
	self := os.Getpid()
	hold := make([]byte, 64<<20)
	for i := 0; i < len(hold); i += 4096 {
		hold[i] = 1
	}
	p, err := openPeakMemory(nil, self)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	alone := p.read()
	if alone < 64*metering.MiB {
		t.Errorf("peak %d bytes, want at least the 64 MiB held", alone)
	}
	runtime.KeepAlive(hold)
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }() //nolint:errcheck
	testkit.Eventually(t, 5*time.Second, "the child's peak to count", func() bool { return p.read() > alone })
}

// withoutPlatformLines is a log tail without its START, END and REPORT
// lines.
func withoutPlatformLines(tail string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(tail, "\n") {
		if !strings.HasPrefix(line, "START RequestId: ") && !strings.HasPrefix(line, "END RequestId: ") && !strings.HasPrefix(line, "REPORT RequestId: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestMaxMemoryUsedPython: a Python handler (Portico's embedded runtime
// client, a real python3) that holds 64 MiB reports at least that as Max
// Memory Used, and the interpreter's own few MB more, not the setting;
// print() lines sit between START and END in the tail.
func TestMaxMemoryUsedPython(t *testing.T) {
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `held = []

def handler(event, context):
    if not held:
        held.append(b"\x01" * (64 << 20))  # written, so resident
    print("holding", len(held[0]))
    return "ok"
`}, Config{Memory: 512})
	var tail backend.LogTail
	if _, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: "req-py-alloc", LogTail: &tail}, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(tail.Bytes()), "\n"), "\n")
	if len(lines) < 4 || lines[0] != "START RequestId: req-py-alloc Version: $LATEST" || lines[len(lines)-2] != "END RequestId: req-py-alloc" ||
		!strings.Contains(strings.Join(lines[1:len(lines)-2], "\n"), "holding 67108864") {
		t.Fatalf("tail:\n%s", tail.Bytes())
	}
	m := reportLine("req-py-alloc").FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[5] == "" {
		t.Fatalf("last line %q: want a REPORT line with Init Duration", lines[len(lines)-1])
	}
	t.Log(lines[len(lines)-1])
	var used int
	fmt.Sscan(m[4], &used) //nolint:errcheck
	if used < 64 || used > 256 {
		t.Errorf("Max Memory Used %d MB, want 64 MB and the interpreter's few more", used)
	}
}

// TestTailEndsWithReport: an invocation's log tail ends with its END and
// REPORT lines, as Lambda's does, even when the function goes on writing
// after its response (those lines are logged, not put in the tail), and
// the next invocation's tail starts with its START line.
func TestTailEndsWithReport(t *testing.T) {
	f := newFunction(t, fake("afterresponse"))
	var tails [3]backend.LogTail
	for i := range tails {
		id := fmt.Sprintf("req-after-%d", i)
		if _, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: id, LogTail: &tails[i]}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The first two invocations' late lines have been read: the runtime
	// wrote them before asking for the next event.
	for i := range 2 {
		id := fmt.Sprintf("req-after-%d", i)
		lines := strings.Split(strings.TrimSuffix(string(tails[i].Bytes()), "\n"), "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "START RequestId: "+id+" ") ||
			lines[len(lines)-2] != "END RequestId: "+id || !reportLine(id).MatchString(lines[len(lines)-1]) {
			t.Errorf("invocation %d: tail does not run from START to END and REPORT:\n%s", i, tails[i].Bytes())
		}
		if strings.Contains(string(tails[i].Bytes()), id+" after the response") {
			t.Errorf("invocation %d: its tail holds what the function wrote after its response:\n%s", i, tails[i].Bytes())
		}
	}
}

// TestTailOfACrash: what a function writes before it exits mid-invocation
// is in its log tail before END and REPORT.
func TestTailOfACrash(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["crash"]})
	for i := range 5 { // the line races the exit: several tries
		id := fmt.Sprintf("req-crash-%d", i)
		var tail backend.LogTail
		_, err := f.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: id, LogTail: &tail}, nil)
		if fe := asFunctionError(t, err); fe.Type != "Runtime.ExitError" {
			t.Fatalf("error %s, want Runtime.ExitError", fe.Type)
		}
		lines := strings.Split(strings.TrimSuffix(string(tail.Bytes()), "\n"), "\n")
		if len(lines) != 4 || lines[0] != "START RequestId: "+id+" Version: $LATEST" || lines[1] != "crash: about to exit mid-invocation" ||
			lines[2] != "END RequestId: "+id || !reportLine(id).MatchString(lines[3]) {
			t.Errorf("invocation %d: tail:\n%s", i, tail.Bytes())
		}
	}
}

// TestPeakPerInstance: an instance's Max Memory Used is its own, not that
// of another function's instance running meanwhile, even one of the same
// name (a reload starts the new function while the old one drains).
func TestPeakPerInstance(t *testing.T) {
	if err := sharedLimiter().Available(); err != nil {
		t.Skip("no memory cgroups:", err)
	}
	hog := fake("alloc64")
	hog.Memory = 512
	old := newFunction(t, hog)
	if _, err := old.Invoke(context.Background(), &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: "req-old"}, nil); err != nil {
		t.Fatal(err)
	}
	small := fake("echo")
	small.Memory = 512
	f := newFunction(t, small)
	m := lastReport(t, "req-new", invokeTail(t, f, "req-new"))
	var used int
	fmt.Sscan(m[4], &used) //nolint:errcheck
	if used >= 64 {
		t.Errorf("Max Memory Used %d MB: the other instance's 64 MiB counted", used)
	}
}
