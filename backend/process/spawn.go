package process

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Processes are started from one goroutine locked to its OS thread: Linux
// delivers the parent-death signal when the *thread* that forked the child
// exits, and the Go runtime may retire other threads at any time. This
// thread lives as long as Portico.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	cg   *memCgroup // or nil
	done chan error
}

func (r spawnReq) start() error {
	if r.cg != nil && r.cg.enter() {
		defer r.cg.leave()
	}
	return r.cmd.Start()
}

// start starts cmd in its own session and process group, with SIGKILL as its
// parent-death signal, and inside cg when it is not nil (see
// memCgroup.enter).
func start(cmd *exec.Cmd, cg *memCgroup) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must outlive every child
			for r := range spawnReqs {
				r.done <- r.start()
			}
		}()
	})
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// A session of its own (and so a process group of its own, whose id is
	// the runtime's pid): a process group can be joined by any process of
	// the same session, which Portico's other children share, but a
	// session by nobody.
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd: cmd, cg: cg, done: done}
	return <-done
}

// signalGroup sends sig to the process group of pid.
func signalGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}

// waitExited blocks until process pid has exited, without reaping it: its
// pid stays taken until the caller reaps it (os.Process.Wait).
func waitExited(pid int) {
	const pPID, wNoWait = 1, 0x1000000 // P_PID, WNOWAIT (linux/wait.h)
	var info [128]byte                 // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|wNoWait, 0, 0)
		if errno != syscall.EINTR {
			return // on another error, Process.Wait reports it
		}
	}
}
