package process

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
