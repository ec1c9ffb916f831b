package bench

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

func TestParseStat(t *testing.T) {
	cases := []struct {
		name, stat string
		pgid       int
		ticks      int64
		bad        bool
	}{
		{name: "plain", stat: "42 (nginx) S 1 40 40 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 100 1000 10", pgid: 40, ticks: 13},
		{name: "name with spaces and parentheses", stat: "7 (a) b (c)) R 1 9 9 0 -1 0 0 0 0 0 100 50 0 0 20 0", pgid: 9, ticks: 150},
		{name: "truncated", stat: "7 (x) R 1 9 9 0", bad: true},
		{name: "no name", stat: "7 x R", bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pgid, ticks, err := parseStat([]byte(c.stat))
			if c.bad {
				if err == nil {
					t.Errorf("got pgid %d ticks %d, want an error", pgid, ticks)
				}
				return
			}
			if err != nil || pgid != c.pgid || ticks != c.ticks {
				t.Errorf("got %d, %d, %v want %d, %d", pgid, ticks, err, c.pgid, c.ticks)
			}
		})
	}
}

// spinner starts a shell in a process group of its own whose child spins
// on the CPU until the test ends, and returns the group's id.
func spinner(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sh", "-c", "sh -c 'while :; do :; done' & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd.Process.Pid
}

// TestGroupCPUCountsChildren: the CPU a group's member other than its
// leader burns is counted, and grows with time.
func TestGroupCPUCountsChildren(t *testing.T) {
	pgid := spinner(t)
	first, err := groupCPU(pgid)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the spinning child's CPU time to grow by 200ms", func() bool {
		d, err := groupCPU(pgid)
		return err == nil && d-first >= 200*time.Millisecond
	})
	if _, err := groupCPU(1 << 30); err == nil {
		t.Error("a group with no process read without error")
	}
}

// TestMeasureReportsCPU: a row names the targets serving it and gets
// their CPU per request over its measured window, and the table shows it.
func TestMeasureReportsCPU(t *testing.T) {
	s := &session{o: ScenarioOptions{Connections: 2, Duration: 500 * time.Millisecond, WarmUp: 100 * time.Millisecond, Rounds: 1},
		report: &Report{}, cpu: cpuMeter{groups: map[string]int{"busy": spinner(t), "other": os.Getpid()}}}
	defer func() {
		for _, f := range s.cleanup {
			f()
		}
	}()
	url, err := s.fixed("bare", helloResponse)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.measure(context.Background(), []row{{name: "r", url: url + "/", procs: []string{"busy"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := res["r"][0]
	if len(r.CPU) != 1 || r.CPU[0].Process != "busy" {
		t.Fatalf("cpu %+v, want the busy target only", r.CPU)
	}
	// The spinner shares 2 cores with the generator and the server.
	if c := r.CPU[0]; c.Cores < 0.2 || c.Cores > 1.2 || c.PerRequest <= 0 {
		t.Errorf("busy target: %+v", c)
	}
	var table strings.Builder
	WriteTable(&table, s.report.Results)
	if !strings.Contains(table.String(), "cpu/req") || !strings.Contains(table.String(), "busy ") {
		t.Errorf("table without the CPU columns:\n%s", table.String())
	}
}
