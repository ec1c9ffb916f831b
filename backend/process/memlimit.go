package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// memoryLimiter puts each instance in a memory cgroup of its own. It uses
// cgroup v2 where Portico's cgroup lets it create children with the memory
// controller, else the cgroup v1 memory controller; either way the process
// starts inside its cgroup (see memCgroup.enter for v1). Where neither is
// writable, limits are not enforced; Available says why.
type memoryLimiter struct {
	root string // the cgroup folder instances' cgroups are made in
	v2   bool
	// home is the v1 tasks file of Portico's own memory cgroup, where the
	// thread that starts processes returns after each start; "" when that
	// thread cannot move, and processes join their cgroup once started.
	home string
	// stranded: the thread could not return home once; processes join
	// their cgroup once started from then on.
	stranded atomic.Bool
	// seq numbers the cgroups, so that no two instances share one.
	seq atomic.Uint64
	err error // why limits are not enforced, or nil
}

var (
	limiterOnce sync.Once
	limiter     *memoryLimiter
)

// sharedLimiter probes the cgroup setup once per process.
func sharedLimiter() *memoryLimiter {
	limiterOnce.Do(func() { limiter = probeMemoryLimiter() })
	return limiter
}

func probeMemoryLimiter() *memoryLimiter {
	own, err := ownCgroups()
	if err != nil {
		return &memoryLimiter{err: err}
	}
	if p, ok := own[""]; ok {
		base := filepath.Join("/sys/fs/cgroup", p)
		removeStaleRoots(base)
		if ctl, err := os.ReadFile(filepath.Join(base, "cgroup.controllers")); err == nil && hasWord(string(ctl), "memory") {
			root := filepath.Join(base, fmt.Sprintf("portico-%d", os.Getpid()))
			if err := os.Mkdir(root, 0o755); err == nil || errors.Is(err, os.ErrExist) {
				if err := os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+memory"), 0o644); err == nil {
					return &memoryLimiter{root: root, v2: true}
				}
				os.Remove(root)
			}
		}
	}
	if p, ok := own["memory"]; ok {
		base := filepath.Join("/sys/fs/cgroup/memory", p)
		removeStaleRoots(base)
		root := filepath.Join(base, fmt.Sprintf("portico-%d", os.Getpid()))
		if err := os.Mkdir(root, 0o755); err == nil || errors.Is(err, os.ErrExist) {
			if _, err := os.Stat(filepath.Join(root, "memory.limit_in_bytes")); err == nil {
				m := &memoryLimiter{root: root}
				if home := filepath.Join(base, "tasks"); syscall.Access(home, 2 /* W_OK */) == nil {
					m.home = home
				}
				return m
			}
			os.Remove(root)
		}
	}
	return &memoryLimiter{err: errors.New("no writable memory cgroup (cgroup v2 with the memory controller, or v1 memory) for Portico's process")}
}

// removeStaleRoots removes the cgroup folders that Portico processes no
// longer running left in base, with their instances' empty cgroups: a
// process cannot remove its own on the way out (it may be killed), so the
// next one started in the same cgroup does. A folder still holding a
// process (an instance that outlived a killed Portico) stays.
func removeStaleRoots(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := strings.CutPrefix(e.Name(), "portico-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || !e.IsDir() || n == os.Getpid() || syscall.Kill(n, 0) != syscall.ESRCH {
			continue
		}
		root := filepath.Join(base, e.Name())
		children, _ := os.ReadDir(root)
		for _, c := range children {
			if c.IsDir() {
				os.Remove(filepath.Join(root, c.Name()))
			}
		}
		os.Remove(root)
	}
}

// ownCgroups reads /proc/self/cgroup: controller → path ("" for v2).
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, s.Err()
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// Available reports nil when memory limits are enforced, else why not.
func (m *memoryLimiter) Available() error { return m.err }

// memCgroup is one instance's cgroup.
type memCgroup struct {
	dir string
	fd  int // open directory (v2), or -1
	v2  bool
	lim *memoryLimiter
	// entered: the process was started from inside the cgroup (v1), so it
	// need not join it; leaveErr: the thread that started it could not
	// leave. Both set on that thread before the start returns.
	entered  bool
	leaveErr error
}

// create makes a new cgroup, named after name, limited to mb megabytes,
// without swap. The cgroup is the instance's alone, and new: its peak
// memory (Max Memory Used) is the instance's own. Names are numbered by
// the limiter, not by the function, whose numbers start again when a
// reload replaces it while the old one's instances drain; a leftover of
// the same name (from an earlier process of the same pid) is removed if
// empty, else create fails.
func (m *memoryLimiter) create(name string, mb int) (*memCgroup, error) {
	if m.err != nil {
		return nil, m.err
	}
	dir := filepath.Join(m.root, name+"-"+strconv.FormatUint(m.seq.Add(1), 10))
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, os.ErrExist) && os.Remove(dir) == nil {
		err = os.Mkdir(dir, 0o755)
	}
	if err != nil {
		return nil, err
	}
	limit := strconv.FormatInt(int64(mb)<<20, 10)
	cg := &memCgroup{dir: dir, fd: -1, v2: m.v2, lim: m}
	if m.v2 {
		if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(limit), 0o644); err != nil {
			cg.remove()
			return nil, err
		}
		_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0o644)
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			cg.remove()
			return nil, err
		}
		cg.fd = fd
		return cg, nil
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(limit), 0o644); err != nil {
		cg.remove()
		return nil, err
	}
	// Without swap accounting this file is absent; the limit still holds for RAM.
	_ = os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), []byte(limit), 0o644)
	return cg, nil
}

// prepare sets up cmd to start inside the cgroup (v2).
func (cg *memCgroup) prepare(attr *syscall.SysProcAttr) {
	if cg.v2 {
		attr.UseCgroupFD = true
		attr.CgroupFD = cg.fd
	}
}

// enter moves the calling thread, which is about to start the instance's
// process, into the cgroup (v1), so that the process is born inside it as
// under cgroup v2: its runtime never runs outside its limit, and no
// migration waits after the start. It reports whether the thread moved;
// leave moves it back.
//
// Moving one thread, the caller itself, through the tasks file is what
// makes this cheap: the kernel skips its global threadgroup lock, whose
// write side waits for an RCU grace period — 5 to 12 ms per process moved
// through cgroup.procs on the machine this was measured on, the larger part
// of a Go function's cold start. A v1 cgroup may hold one thread of a
// process without the others, and a process's pages are charged to the
// cgroup of its main thread, so Portico's own memory stays where it was;
// the thread runs nothing else (it is locked) while inside.
func (cg *memCgroup) enter() bool {
	if cg.v2 || cg.lim.home == "" || cg.lim.stranded.Load() {
		return false
	}
	cg.entered = os.WriteFile(filepath.Join(cg.dir, "tasks"), []byte("0"), 0o644) == nil
	return cg.entered
}

// leave moves the calling thread back to Portico's own cgroup after enter.
// If it cannot, it records why in leaveErr, and later processes are
// started where the thread is and then join their own cgroup.
func (cg *memCgroup) leave() {
	if err := os.WriteFile(cg.lim.home, []byte("0"), 0o644); err != nil {
		cg.lim.stranded.Store(true)
		cg.leaveErr = fmt.Errorf("the thread starting processes stays in cgroup %s: %w", cg.dir, err)
	}
}

// join moves a started process into the cgroup (v1), unless it was
// started inside it.
func (cg *memCgroup) join(pid int) error {
	if cg.v2 || cg.entered {
		return nil
	}
	return os.WriteFile(filepath.Join(cg.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// remove deletes the cgroup; it must be empty (the process has exited).
func (cg *memCgroup) remove() {
	if cg.fd >= 0 {
		syscall.Close(cg.fd)
		cg.fd = -1
	}
	os.Remove(cg.dir)
}
