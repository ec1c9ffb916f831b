package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// TestMockScenarioInProcess runs the mock scenario briefly with in-process
// targets: rows, ratios and a report come out, and nothing errors.
func TestMockScenarioInProcess(t *testing.T) {
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "mock", Connections: 4, Duration: 300 * time.Millisecond, WarmUp: 50 * time.Millisecond, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// bare, 2.0 and 1.0 with the access log off and on; at half rate bare
	// and 2.0 off and on.
	if len(rep.Results) != 8 || len(rep.Ratios) != 7 {
		t.Fatalf("results %d ratios %d", len(rep.Results), len(rep.Ratios))
	}
	for _, r := range rep.Results {
		// At 50 connections a function's 10 instances and 100 ms queue may
		// throttle (Lambda's answer, a 500) while instances start under
		// the race detector; anything else is a failure.
		throttled := int64(0)
		if strings.Contains(r.Name, "-c 50") {
			throttled = r.Status["500"]
		}
		if r.Requests == 0 || r.Status["200"] == 0 || r.Status["200"]+throttled != r.Requests {
			t.Errorf("%s: requests %d errors %d status %v", r.Name, r.Requests, r.ErrorCount, r.Status)
		}
	}
	for _, r := range rep.Ratios {
		if r.Median <= 0 {
			t.Errorf("ratio %s = %v", r.Name, r.Median)
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, "test", rep.Results); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html.String(), "<polyline"); n != 2*len(rep.Results) {
		t.Errorf("%d plot lines, want %d", n, 2*len(rep.Results))
	}
	var table bytes.Buffer
	WriteTable(&table, rep.Results)
	if !strings.Contains(table.String(), "gateway mock 2.0 #1") {
		t.Errorf("table:\n%s", table.String())
	}
}

// TestHTTPScenarioChildren runs the http scenario briefly as users do,
// its targets child processes (portico serve, bench-target, nginx when
// installed): every row answers 200 to every request and reports the CPU
// of the processes serving it, the half-rate rows run open loop, and the
// ratios name both access-log settings.
func TestHTTPScenarioChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts nginx")
	}
	var log bytes.Buffer
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "http", Connections: 4, Duration: 300 * time.Millisecond, WarmUp: 100 * time.Millisecond, Rounds: 1,
		Executable: testkit.PorticoBinary(t), Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bare fasthttp", "gateway http backend", "gateway http backend, access log on"}
	wantCPU := map[string]string{"bare fasthttp": "bare", "gateway http backend": "gateway http+function server",
		"gateway http backend, access log on": "gateway http-logged+function server"}
	_, noNginx := exec.LookPath("nginx")
	if noNginx == nil {
		want = append(want, "nginx proxy", "nginx proxy, access log on")
		wantCPU["nginx proxy"], wantCPU["nginx proxy, access log on"] = "nginx+function server", "nginx-logged+function server"
	} else {
		t.Log("no nginx on PATH: its rows are not checked")
	}
	want = append(want, "bare fasthttp @ half rate", "gateway http backend @ half rate", "gateway http backend @ half rate, access log on")
	wantCPU["bare fasthttp @ half rate"] = "bare"
	wantCPU["gateway http backend @ half rate"] = "gateway http+function server"
	wantCPU["gateway http backend @ half rate, access log on"] = "gateway http-logged+function server"
	if noNginx == nil {
		want = append(want, "nginx proxy @ half rate")
		wantCPU["nginx proxy @ half rate"] = "nginx+function server"
	}
	var got []string
	for _, r := range rep.Results {
		name := strings.TrimSuffix(r.Name, " #1")
		got = append(got, name)
		if r.Requests == 0 || r.Status["200"] != r.Requests {
			t.Errorf("%s: requests %d status %v errors %v", r.Name, r.Requests, r.Status, r.Errors)
		}
		if open := strings.Contains(name, "half rate"); open != (r.Mode == "open") {
			t.Errorf("%s: mode %s", r.Name, r.Mode)
		}
		var procs []string
		for _, c := range r.CPU {
			procs = append(procs, c.Process)
			if c.Seconds < 0 || c.Cores > 2.5 {
				t.Errorf("%s: cpu %+v", r.Name, c)
			}
		}
		if p := strings.Join(procs, "+"); p != wantCPU[name] {
			t.Errorf("%s: cpu of %q, want %q", r.Name, p, wantCPU[name])
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ratios := map[string]bool{}
	for _, r := range rep.Ratios {
		ratios[r.Name] = r.Median > 0
	}
	wantRatios := []string{"gateway http / bare (req/s)", "gateway http, access log on / bare (req/s)",
		"gateway http / bare p99 at half rate", "gateway http, access log on / bare p99 at half rate"}
	if noNginx == nil {
		wantRatios = append(wantRatios, "gateway http / nginx proxy (req/s)", "gateway http, access log on / nginx proxy (req/s)",
			"gateway http / nginx proxy, access log on (req/s)", "gateway http, access log on / nginx proxy, access log on (req/s)",
			"gateway http / nginx proxy p99 at half rate", "gateway http / nginx proxy (req per CPU-s)")
	}
	for _, name := range wantRatios {
		if !ratios[name] {
			t.Errorf("no positive ratio %q in %v", name, ratios)
		}
	}
	if !strings.Contains(log.String(), "cpu/req ") {
		t.Errorf("progress notes without CPU figures:\n%s", log.String())
	}
}

// TestInvokeScenarioInProcess: every row (route and Invoke API, access log
// off and on) answers 200 to every request and the ratios are reported.
func TestInvokeScenarioInProcess(t *testing.T) {
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "invoke", Connections: 4, Duration: 200 * time.Millisecond, WarmUp: 50 * time.Millisecond, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || len(rep.Ratios) != 2 || rep.Ratios[0].Median <= 0 || rep.Ratios[1].Median <= 0 {
		t.Fatalf("results %d ratios %v", len(rep.Results), rep.Ratios)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.Status["200"] != r.Requests {
			t.Errorf("%s: requests %d status %v", r.Name, r.Requests, r.Status)
		}
	}
}

func TestUnknownScenario(t *testing.T) {
	if _, err := RunScenario(context.Background(), ScenarioOptions{Name: "nope"}); err == nil {
		t.Error("unknown scenario accepted")
	}
	_, err := RunScenario(context.Background(), ScenarioOptions{Name: "mock", AccessLog: "sometimes"})
	if err == nil || !strings.Contains(err.Error(), "want on, off or both") {
		t.Errorf("access log %q: err %v", "sometimes", err)
	}
}

// TestAccessLogOff: with the access log off only, each gateway row runs
// once, without the "access log on" rows and their ratios.
func TestAccessLogOff(t *testing.T) {
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "auth", Connections: 2, Duration: 100 * time.Millisecond, WarmUp: 20 * time.Millisecond, Rounds: 1, AccessLog: "off",
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rep.Results {
		names = append(names, r.Name)
		if r.Requests == 0 || r.Status["200"] != r.Requests {
			t.Errorf("%s: requests %d status %v", r.Name, r.Requests, r.Status)
		}
	}
	if got, want := strings.Join(names, "|"), "open route #1|jwt route #1|api-key route #1"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if len(rep.Ratios) != 2 {
		t.Errorf("ratios %v, want jwt and api key over open, in req/s only (no CPU measured in process)", rep.Ratios)
	}
}

// availableLangs is the hello languages whose interpreter is on PATH: the
// ones the scenarios measure here.
func availableLangs(t *testing.T) []helloLang {
	var out []helloLang
	for _, l := range helloLangs {
		if l.interpreter == "" {
			out = append(out, l)
		} else if _, err := exec.LookPath(l.interpreter); err == nil {
			out = append(out, l)
		} else {
			t.Logf("no %s on PATH (make test installs it): its rows are not checked", l.interpreter)
		}
	}
	return out
}

// TestProcessScenarioInProcess runs the process scenario briefly, with a
// fake aws-lambda-rie on PATH: at each connection count a row for the echo,
// each language's hello and the emulator, in that order, every request a
// 200 (or, at 50 connections, a throttled 500), and the ratios to the echo and to Go's rate.
func TestProcessScenarioInProcess(t *testing.T) {
	rieArgs := installFakeRIE(t)
	var log bytes.Buffer
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "process", Duration: 200 * time.Millisecond, WarmUp: 50 * time.Millisecond, Rounds: 1, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, l := range availableLangs(t) {
		names = append(names, l.name)
	}
	names = append(names, "rie")
	var want []string
	for _, c := range processSweep {
		want = append(want, echoRow(c)+" #1")
		for _, n := range names {
			want = append(want, helloRow(n, c)+" #1")
		}
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Name)
		// At 50 connections a function's 10 instances and 100 ms queue may
		// throttle (Lambda's answer, a 500) while instances start under
		// the race detector; anything else is a failure.
		throttled := int64(0)
		if strings.Contains(r.Name, "-c 50") {
			throttled = r.Status["500"]
		}
		if r.Requests == 0 || r.Status["200"] == 0 || r.Status["200"]+throttled != r.Requests {
			t.Errorf("%s: requests %d errors %d status %v", r.Name, r.Requests, r.ErrorCount, r.Status)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Rows against local functions carry their cost on Lambda, read from
	// the gateway's meter; the echo and the emulator (an http backend) none.
	for _, r := range rep.Results {
		local := !strings.HasPrefix(r.Name, "builtin echo") && !strings.HasPrefix(r.Name, "rie ")
		if !local {
			if r.Cost != nil {
				t.Errorf("%s: a cost %+v", r.Name, r.Cost)
			}
			continue
		}
		c := r.Cost
		if r.Requests == 0 {
			continue // reported above
		}
		if c == nil {
			t.Errorf("%s: no cost; notes:\n%s", r.Name, strings.Join(rep.Notes, "\n"))
			continue
		}
		if c.MemoryMB != 128 || c.Invocations < r.Status["200"] || c.Requests != r.Requests || c.BilledMsPerRequest < 1 ||
			c.PerMillion < 0.20 || c.Run <= 0 || c.RightSize.MaxMemoryUsedMB <= 0 || c.RightSize.SmallestMB != 128 {
			t.Errorf("%s: cost %+v for %d requests", r.Name, c, r.Requests)
		}
	}
	ratios := map[string]bool{}
	for _, r := range rep.Ratios {
		ratios[r.Name] = true
		if r.Median <= 0 {
			t.Errorf("ratio %s = %v", r.Name, r.Median)
		}
	}
	for _, c := range processSweep {
		for _, n := range names {
			if name := fmt.Sprintf("%s hello / echo at -c %d (req/s)", n, c); !ratios[name] {
				t.Errorf("no ratio %q in %v", name, ratios)
			}
			if name := fmt.Sprintf("%s / go hello at -c %d (req/s)", n, c); n != "go" && !ratios[name] {
				t.Errorf("no ratio %q in %v", name, ratios)
			}
		}
	}
	args, err := os.ReadFile(rieArgs)
	if err != nil {
		t.Fatal("the fake aws-lambda-rie did not run:", err)
	}
	if a := strings.Split(string(args), "\n"); !strings.HasPrefix(a[1], "--runtime-api-address=127.0.0.1:") || filepath.Base(a[len(a)-1]) != "bootstrap" {
		t.Errorf("aws-lambda-rie arguments %q: want its Runtime API on a free port and the Go hello's bootstrap", a)
	}
}

// TestRIERowSkipped: without aws-lambda-rie on PATH the row is left out
// with a note saying so.
func TestRIERowSkipped(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s := &session{report: &Report{}}
	_, err := s.rie(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "aws-lambda-rie not on PATH") {
		t.Errorf("err = %v", err)
	}
}

// TestColdStartScenario runs the coldstart scenario with a few cold starts:
// for each language a cold and a warm row with every invoke answered, a
// bare-interpreter row for Node.js and Python, and a note giving each
// cold start less its interpreter's.
func TestColdStartScenario(t *testing.T) {
	var log bytes.Buffer
	rep, err := RunScenario(context.Background(), ScenarioOptions{Name: "coldstart", ColdStarts: 3, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	for _, l := range availableLangs(t) {
		rows := []string{l.name + " hello cold start", l.name + " hello warm invoke (same instance)"}
		if l.interpreter != "" {
			rows = append(rows, fmt.Sprintf("%s bare start (%s %s)", l.name, l.interpreter, strings.Join(l.bare, " ")))
			if !strings.Contains(log.String(), l.name+" hello cold start median ") || !strings.Contains(log.String(), "− bare "+l.interpreter) {
				t.Errorf("no cold − bare note for %s in\n%s", l.name, log.String())
			}
		}
		for _, name := range rows {
			r := byName[name]
			if r == nil {
				t.Errorf("no row %q in %v", name, rep.Results)
				continue
			}
			if r.Requests != 3 || r.ErrorCount != 0 || r.Latency.P50 <= 0 {
				t.Errorf("%s: requests %d errors %d p50 %d", name, r.Requests, r.ErrorCount, r.Latency.P50)
			}
		}
	}
}
