package process

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/portico/portico/metering"
)

// TestStartInsideCgroup checks that a process started with a memory cgroup
// is inside it from its first instruction, without joining it afterwards,
// and that starting it leaves Portico's own threads where they were.
func TestStartInsideCgroup(t *testing.T) {
	lim := sharedLimiter()
	if err := lim.Available(); err != nil {
		t.Skipf("memory limits not enforceable here: %v", err)
	}
	cg, err := lim.create("start-inside", 128)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cat", "/proc/self/cgroup")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cg.prepare(cmd.SysProcAttr)
	if err := start(cmd, cg); err != nil {
		cg.remove()
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	mount, field := "/sys/fs/cgroup/memory", ":memory:"
	if lim.v2 {
		mount, field = "/sys/fs/cgroup", "0::"
	}
	want := strings.TrimPrefix(cg.dir, mount)
	var got string
	for _, line := range strings.Split(out.String(), "\n") {
		if _, path, ok := strings.Cut(line, field); ok {
			got = path
		}
	}
	if got != want {
		t.Errorf("the process started in memory cgroup %q, want %q\n%s", got, want, out.String())
	}
	// The cgroup can be removed only once no thread is left in it: the
	// thread that started the process has gone home.
	cg.remove()
	if _, err := os.Stat(cg.dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still there after remove (%v): a thread of Portico stayed in it", filepath.Base(cg.dir), err)
	}
}

// TestCreateReplacesLeftover: a cgroup left behind under the name create
// picks (by an earlier Portico of the same pid) is replaced by a new one,
// so that an instance's Max Memory Used starts from nothing.
func TestCreateReplacesLeftover(t *testing.T) {
	lim := sharedLimiter()
	if err := lim.Available(); err != nil {
		t.Skipf("memory limits not enforceable here: %v", err)
	}
	old, err := lim.create("leftover", 256)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dd", "if=/dev/zero", "of=/dev/null", "bs=32M", "count=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	old.prepare(cmd.SysProcAttr)
	if err := start(cmd, old); err != nil {
		old.remove()
		t.Fatal(err)
	}
	if err := old.join(cmd.Process.Pid); err != nil {
		t.Log("join:", err) // it may have exited already; then it was born inside
	}
	cmd.Wait() //nolint:errcheck
	if p := peakOf(t, old); p < 32*metering.MiB {
		old.remove()
		t.Fatalf("the leftover's peak is %d bytes, want 32 MiB at least", p)
	}
	// The leftover takes the name the next create picks.
	next := filepath.Join(lim.root, fmt.Sprintf("leftover-%d", lim.seq.Load()+1))
	if err := os.Rename(old.dir, next); err != nil {
		old.remove()
		t.Skipf("cannot rename a cgroup here: %v", err)
	}
	old.dir = next
	cg, err := lim.create("leftover", 256)
	if err != nil {
		old.remove()
		t.Fatal(err)
	}
	defer cg.remove()
	if cg.dir != next {
		t.Fatalf("create made %s, want %s", cg.dir, next)
	}
	if p := peakOf(t, cg); p >= 32*metering.MiB {
		t.Errorf("the new cgroup's peak is %d bytes: the leftover's", p)
	}
}

// peakOf reads the peak of cgroup cg.
func peakOf(t *testing.T, cg *memCgroup) int64 {
	t.Helper()
	p, err := openPeakMemory(cg, -1)
	if err != nil || p.status {
		t.Fatalf("no peak file in %s: %v", cg.dir, err)
	}
	defer p.close()
	return p.read()
}

// TestRemoveStaleRoots: the cgroup folder of a Portico process that no
// longer runs, and its instances' empty cgroups, are removed by the next
// one; a running process's folder (ours) stays.
func TestRemoveStaleRoots(t *testing.T) {
	lim := sharedLimiter()
	if err := lim.Available(); err != nil {
		t.Skipf("memory limits not enforceable here: %v", err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	base := filepath.Dir(lim.root)
	stale := filepath.Join(base, fmt.Sprintf("portico-%d", gone.Process.Pid))
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(stale, "fn-1"), 0o755); err != nil {
		os.Remove(stale)
		t.Fatal(err)
	}
	removeStaleRoots(base)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		os.Remove(filepath.Join(stale, "fn-1"))
		os.Remove(stale)
		t.Errorf("the stale folder %s is still there (%v)", stale, err)
	}
	if _, err := os.Stat(lim.root); err != nil {
		t.Errorf("our own folder: %v", err)
	}
}
