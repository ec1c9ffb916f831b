package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ProcessCPU is the CPU time one target (a process and everything in its
// process group: nginx's workers, a gateway's function instances) used
// during a row's measured window.
type ProcessCPU struct {
	Process string `json:"process"`
	// Seconds is user plus system time, in the kernel's clock ticks
	// (10 ms on most systems), so a row of a few seconds reads it to
	// within a few percent.
	Seconds float64 `json:"seconds"`
	// PerRequest is Seconds over the row's measured requests, in
	// microseconds.
	PerRequest float64 `json:"us_per_request"`
	// Cores is Seconds over the window's wall time: 1.0 is one core busy
	// throughout.
	Cores float64 `json:"cores"`
}

// clockTick is the unit of /proc/PID/stat's times. USER_HZ is 100 on every
// Linux architecture Go supports but alpha and ia64, which Go does not.
const clockTick = 10 * time.Millisecond

// groupCPU sums the CPU time of the processes in process group pgid
// (utime, stime, and cutime and cstime, so a member that exited and was
// reaped inside the group still counts), read from /proc.
func groupCPU(pgid int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var ticks int64
	found := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // exited since the listing
		}
		group, t, err := parseStat(b)
		if err != nil || group != pgid {
			continue
		}
		ticks += t
		found = true
	}
	if !found {
		return 0, fmt.Errorf("no process in group %d", pgid)
	}
	return time.Duration(ticks) * clockTick, nil
}

// parseStat reads the process group and utime+stime+cutime+cstime (in
// clock ticks) from the text of /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so the fields are
// counted from the last ')'.
func parseStat(b []byte) (pgid int, ticks int64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("stat: no command name")
	}
	// After the name: state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime …
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return 0, 0, errors.New("stat: too few fields")
	}
	if pgid, err = strconv.Atoi(string(f[2])); err != nil {
		return 0, 0, err
	}
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, 0, err
		}
		ticks += n
	}
	return pgid, ticks, nil
}

// cpuMeter reads the CPU time of the named targets, each a process group,
// at the opening and the close of a row's measured window.
type cpuMeter struct {
	groups map[string]int // target name → process group id
}

// snapshot reads each named target's CPU time; a target that cannot be
// read is left out.
func (m *cpuMeter) snapshot(names []string) map[string]time.Duration {
	out := make(map[string]time.Duration, len(names))
	for _, n := range names {
		if pgid, ok := m.groups[n]; ok {
			if d, err := groupCPU(pgid); err == nil {
				out[n] = d
			}
		}
	}
	return out
}

// perRequest turns two snapshots around a window of wall time with
// requests answered into ProcessCPU figures, in names' order.
func perRequest(names []string, before, after map[string]time.Duration, wall time.Duration, requests int64) []ProcessCPU {
	var out []ProcessCPU
	for _, n := range names {
		b, ok1 := before[n]
		a, ok2 := after[n]
		if !ok1 || !ok2 {
			continue
		}
		p := ProcessCPU{Process: n, Seconds: (a - b).Seconds()}
		if requests > 0 {
			p.PerRequest = p.Seconds * 1e6 / float64(requests)
		}
		if wall > 0 {
			p.Cores = p.Seconds / wall.Seconds()
		}
		out = append(out, p)
	}
	return out
}
