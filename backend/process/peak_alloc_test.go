//go:build !race

package process

import (
	"os/exec"
	"testing"
)

// Reading an instance's peak memory runs after every invocation: from a
// cgroup's file or from /proc (a process without children), it does not
// allocate.
func TestPeakMemoryAllocs(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }() //nolint:errcheck
	p, err := openPeakMemory(nil, child.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if allocs := testing.AllocsPerRun(200, func() { p.read() }); allocs != 0 || p.read() <= 0 {
		t.Errorf("from /proc: %v allocations, peak %d", allocs, p.read())
	}
	lim := sharedLimiter()
	if lim.Available() != nil {
		t.Skipf("no memory cgroup here: %v", lim.Available())
	}
	cg, err := lim.create("peak-allocs", 128)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.remove()
	q, err := openPeakMemory(cg, child.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer q.close()
	if q.status {
		t.Fatal("the cgroup's peak file was not opened")
	}
	if allocs := testing.AllocsPerRun(200, func() { q.read() }); allocs != 0 {
		t.Errorf("from the cgroup: %v allocations", allocs)
	}
}
