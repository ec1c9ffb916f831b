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
	"syscall"
)

// memoryLimiter puts each instance in a memory cgroup of its own. It uses
// cgroup v2 where Portico's cgroup lets it create children with the memory
// controller (the process then starts inside its cgroup), else the cgroup
// v1 memory controller (the process joins right after it starts). Where
// neither is writable, limits are not enforced; Available says why.
type memoryLimiter struct {
	root string // the cgroup folder instances' cgroups are made in
	v2   bool
	err  error // why limits are not enforced, or nil
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
		root := filepath.Join(base, fmt.Sprintf("portico-%d", os.Getpid()))
		if err := os.Mkdir(root, 0o755); err == nil || errors.Is(err, os.ErrExist) {
			if _, err := os.Stat(filepath.Join(root, "memory.limit_in_bytes")); err == nil {
				return &memoryLimiter{root: root}
			}
			os.Remove(root)
		}
	}
	return &memoryLimiter{err: errors.New("no writable memory cgroup (cgroup v2 with the memory controller, or v1 memory) for Portico's process")}
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
}

// create makes a cgroup limited to mb megabytes, without swap.
func (m *memoryLimiter) create(name string, mb int) (*memCgroup, error) {
	if m.err != nil {
		return nil, m.err
	}
	dir := filepath.Join(m.root, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	limit := strconv.FormatInt(int64(mb)<<20, 10)
	cg := &memCgroup{dir: dir, fd: -1, v2: m.v2}
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

// join moves a started process into the cgroup (v1).
func (cg *memCgroup) join(pid int) error {
	if cg.v2 {
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
