package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// peakMemory reads the peak memory of an instance's environment, which
// Lambda's REPORT line gives as Max Memory Used: the peak of its memory
// cgroup where it has one (v1 memory.max_usage_in_bytes, v2 memory.peak),
// else the peak resident sets (VmHWM) of the runtime and the processes
// under it, summed, which bounds their peak together from above.
//
// The file stays open and is read again from its start for each
// invocation (cgroup and /proc files are generated at each read), into a
// buffer of the instance's, so a reading costs one pread and no
// allocation; only the processes under the runtime, on the fallback, are
// opened one by one. Not safe for concurrent use: an instance has one
// invocation at a time.
type peakMemory struct {
	f      *os.File // the cgroup's peak file, or the runtime's /proc status
	status bool     // f is /proc/PID/status
	pid    int
	// children lists the runtime's children (fallback only; nil where
	// the kernel does not list them).
	children *os.File
	// highest is the highest reading so far: the peak of processes that
	// have exited is gone from /proc, not from the environment's peak.
	highest int64
	buf     [4096]byte
}

// openPeakMemory opens the peak file of cg (nil: none) or of process pid.
func openPeakMemory(cg *memCgroup, pid int) (*peakMemory, error) {
	p := &peakMemory{pid: pid}
	if cg != nil {
		name := "memory.max_usage_in_bytes"
		if cg.v2 {
			name = "memory.peak" // Linux 5.19 and later
		}
		if f, err := os.Open(filepath.Join(cg.dir, name)); err == nil {
			p.f = f
			return p, nil
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	p.f, p.status = f, true
	p.children, _ = os.Open(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	return p, nil
}

// read returns the environment's peak in bytes so far; on a failed
// reading, the highest one before.
func (p *peakMemory) read() int64 {
	n, err := p.f.ReadAt(p.buf[:], 0)
	if n == 0 && err != nil {
		return p.highest
	}
	var v int64
	if p.status {
		v = vmHWM(p.buf[:n]) + p.underRuntime()
	} else {
		v, _ = strconv.ParseInt(string(bytes.TrimSpace(p.buf[:n])), 10, 64) // no allocation: the conversion does not escape
	}
	p.highest = max(p.highest, v)
	return p.highest
}

// underRuntime sums the VmHWM of the processes under the runtime; with
// none, as usual, it costs one read and no allocation.
func (p *peakMemory) underRuntime() int64 {
	if p.children == nil {
		return 0
	}
	n, _ := p.children.ReadAt(p.buf[:], 0)
	if len(bytes.TrimSpace(p.buf[:n])) == 0 {
		return 0
	}
	return p.descendants(p.pid, 0)
}

// maxDepth bounds the walk down the process tree.
const maxDepth = 8

// descendants sums the VmHWM of the processes under pid, from the
// kernel's list of each process's children (Linux 3.5 and later, with
// CONFIG_PROC_CHILDREN; without it, the runtime alone counts).
func (p *peakMemory) descendants(pid, depth int) int64 {
	if depth >= maxDepth {
		return 0
	}
	list, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil || len(bytes.TrimSpace(list)) == 0 {
		return 0
	}
	var sum int64
	for _, field := range bytes.Fields(list) {
		child, err := strconv.Atoi(string(field))
		if err != nil {
			continue
		}
		if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", child)); err == nil {
			sum += vmHWM(status)
		}
		sum += p.descendants(child, depth+1)
	}
	return sum
}

// vmHWM is the VmHWM line of a /proc status file in bytes; 0 if absent.
func vmHWM(status []byte) int64 {
	_, rest, ok := bytes.Cut(status, []byte("VmHWM:"))
	if !ok {
		return 0
	}
	rest = bytes.TrimLeft(rest, " \t")
	end := bytes.IndexByte(rest, ' ')
	if end < 0 {
		return 0
	}
	kb, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

func (p *peakMemory) close() {
	p.f.Close()
	if p.children != nil {
		p.children.Close()
	}
}
