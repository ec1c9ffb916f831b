package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/metering"
)

// stopGrace is how long a stopping instance has between SIGTERM and SIGKILL
// (Lambda's shutdown phase is capped at 2 s).
const stopGrace = 2 * time.Second

// instance is one running process of a function and its Runtime API.
type instance struct {
	fn     *Function
	id     string
	log    *zap.Logger
	output *outputLogger
	cmd    *exec.Cmd
	ln     net.Listener
	srv    *fasthttp.Server
	cgroup *memCgroup
	peak   *peakMemory // nil when the peak cannot be read
	// begun is when the start began; initDur, set at the runtime's first
	// GET /next, is how long its init took.
	begun   time.Time
	initDur time.Duration
	// lineMu guards line, the buffer START, END and REPORT are written in.
	lineMu sync.Mutex
	line   []byte

	started  chan struct{} // closed once the start was tried; cmd is set if it worked
	next     chan *call    // calls waiting for the runtime's GET /next
	ready    chan struct{} // closed at the runtime's first GET /next
	exited   chan struct{} // closed when the process has exited
	stopping chan struct{} // closed when the instance is being stopped
	gone     chan struct{} // closed when the instance is torn down

	readyOnce, stopOnce sync.Once

	sigMu  sync.Mutex // orders signals to the group before the reaping
	reaped bool       // the runtime has been reaped (guarded by sigMu)

	mu       sync.Mutex
	current  *call                  // the invocation in progress, or nil
	initErr  *backend.FunctionError // from /init/error
	exitErr  error                  // how the process ended
	lastUsed time.Time
	inPool   bool // counted in the pool's total (guarded by the pool's mutex)
	// initPending: a cold start whose init duration the instance's first
	// invocation reports and bills, as Lambda's on-demand environments
	// do; not set for minInstances, warmed before any request, as
	// provisioned concurrency is.
	initPending bool
}

// startInstance starts a process and its Runtime API. It does not wait for
// the runtime to initialise.
func (f *Function) startInstance() (*instance, error) {
	id := strconv.FormatUint(f.seq.Add(1), 10)
	in := &instance{
		begun:    time.Now(),
		line:     make([]byte, 0, 256), // room for the REPORT line and its newline
		fn:       f,
		id:       id,
		log:      f.log.With(zap.String("instance", id)),
		started:  make(chan struct{}),
		next:     make(chan *call, 1),
		ready:    make(chan struct{}),
		exited:   make(chan struct{}),
		stopping: make(chan struct{}),
		gone:     make(chan struct{}),
		lastUsed: time.Now(),
	}
	in.output = newOutputLogger(in.log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api listener: %w", err)
	}
	in.ln = ln
	in.srv = in.serveRuntimeAPI(ln)

	cmd := exec.Command(f.artifact.Bootstrap)
	if f.artifact.Client != "" {
		cmd.Args = append(cmd.Args, f.artifact.Client)
	}
	cmd.Dir = f.artifact.TaskRoot
	cmd.Env = f.environ(ln.Addr().String())
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if f.memoryMB > 0 && f.limiter.Available() == nil {
		cg, err := f.limiter.create(f.name, f.memoryMB)
		if err != nil {
			in.log.Warn("memory limit not applied", zap.Error(err))
		} else {
			in.cgroup = cg
			cg.prepare(cmd.SysProcAttr)
		}
	}
	// Portico's own pipes rather than exec.Cmd's: Cmd.Wait waits for the
	// pipes to close, and a background child that inherited them keeps them
	// open long after the runtime has exited.
	var out outputPipes
	if err := out.open(cmd); err != nil {
		in.abort()
		return nil, err
	}
	if !f.pool.register(in) {
		out.close()
		in.abort()
		return nil, errClosed
	}
	err = start(cmd, in.cgroup)
	out.closeChildEnds()
	if err != nil {
		out.close()
		f.pool.unregister(in)
		in.abort()
		return nil, fmt.Errorf("start %s: %w", f.artifact.Bootstrap, err)
	}
	in.cmd = cmd
	close(in.started)
	if in.cgroup != nil {
		if err := in.cgroup.leaveErr; err != nil {
			in.log.Warn("later instances join their memory cgroup after they start", zap.Error(err))
		}
		if err := in.cgroup.join(cmd.Process.Pid); err != nil {
			in.log.Warn("memory limit not applied", zap.Error(err))
		}
	}
	if in.peak, err = openPeakMemory(in.cgroup, cmd.Process.Pid); err != nil {
		in.log.Warn("max memory used not measured", zap.Error(err))
	}
	in.output.copy(&out)
	go in.wait(&out)
	in.log.Debug("instance started", zap.Int("pid", cmd.Process.Pid))
	return in, nil
}

// abort releases what a start that failed had set up.
func (in *instance) abort() {
	close(in.started)
	in.ln.Close()     // Shutdown does not close a listener Serve has not taken yet
	in.srv.Shutdown() //nolint:errcheck
	if in.cgroup != nil {
		in.cgroup.remove()
	}
}

// outputPipes carry an instance's stdout and stderr to its output logger.
type outputPipes struct {
	stdout, stderr   *os.File // Portico's read ends
	stdoutW, stderrW *os.File // the child's write ends, closed once it has them
	copied           sync.WaitGroup
}

func (p *outputPipes) open(cmd *exec.Cmd) error {
	var err error
	if p.stdout, p.stdoutW, err = os.Pipe(); err != nil {
		return err
	}
	if p.stderr, p.stderrW, err = os.Pipe(); err != nil {
		p.close()
		return err
	}
	cmd.Stdout, cmd.Stderr = p.stdoutW, p.stderrW
	return nil
}

func (p *outputPipes) closeChildEnds() {
	p.stdoutW.Close()
	p.stderrW.Close()
}

func (p *outputPipes) close() {
	for _, f := range []*os.File{p.stdout, p.stdoutW, p.stderr, p.stderrW} {
		if f != nil {
			f.Close()
		}
	}
}

// outputDrain is how long the output of an exited instance is still read:
// a child that left the process group (and so outlived it) may hold the
// pipes open for ever.
const outputDrain = stopGrace

// wait reaps the process and fails whatever it was doing. It acts on the
// runtime's exit itself, not on its pipes closing, so a dead instance
// leaves the pool at once.
func (in *instance) wait(out *outputPipes) {
	pid := in.cmd.Process.Pid
	// Until the runtime is reaped its pid, and so its process group id,
	// cannot be reused: kill the rest of the group first.
	waitExited(pid)
	in.sigMu.Lock()
	signalGroup(pid, syscall.SIGKILL)
	state, err := in.cmd.Process.Wait()
	in.reaped = true
	in.sigMu.Unlock()
	switch {
	case err != nil:
	case !state.Success():
		err = &exec.ExitError{ProcessState: state}
	default:
		err = errors.New("exit status 0")
	}
	in.mu.Lock()
	in.exitErr = err
	c := in.current
	in.current = nil
	in.mu.Unlock()
	close(in.exited)
	if c != nil {
		c.timer.Stop()
		in.mu.Lock()
		picked := c.picked
		in.mu.Unlock()
		if picked {
			end := time.Now()
			if c.logTail != nil {
				// What the function wrote before it died (a panic's
				// trace) goes before END and REPORT.
				in.output.awaitLines()
			}
			in.report(c, end)
			c.result <- outcome{err: exitError(c.requestID, err)}
		} else {
			c.result <- outcome{retry: true}
		}
	}
	in.stopOnce.Do(func() { close(in.stopping) })
	in.fn.pool.discard(in)
	// Shutdown does nothing if Serve has not registered the listener yet
	// (a runtime that exits at once): close it here too.
	in.ln.Close()
	in.srv.Shutdown() //nolint:errcheck
	copied := make(chan struct{})
	go func() { out.copied.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-time.After(outputDrain):
		in.log.Warn("output still open after the runtime exited: a child outside its session holds it")
	}
	out.close() // ends the copies, if they still run
	<-copied
	if in.peak != nil {
		in.peak.close()
	}
	if in.cgroup != nil {
		in.cgroup.remove()
	}
	in.log.Debug("instance exited", zap.String("status", exitStatus(err)))
	close(in.gone)
}

// exitError is Lambda's error for a runtime that exited mid-invocation.
func exitError(requestID string, err error) *backend.FunctionError {
	return backend.NewFunctionError("Runtime.ExitError",
		fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", requestID, exitStatus(err)))
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String() // "exit status 2", "signal: killed"
	}
	return err.Error()
}

func (in *instance) markReady() {
	in.readyOnce.Do(func() {
		in.initDur = time.Since(in.begun) // read once ready is closed
		close(in.ready)
	})
}

// waitReady waits until the runtime asks for its first event. It returns
// the function error of a failed init: an /init/error report or an exit.
func (in *instance) waitReady(ctx context.Context, initTimeout time.Duration) error {
	t := time.NewTimer(initTimeout)
	defer t.Stop()
	select {
	case <-in.ready:
		return nil
	case <-in.exited:
		in.mu.Lock()
		defer in.mu.Unlock()
		if in.initErr != nil {
			return reported{in.initErr}
		}
		return backend.NewFunctionError("Runtime.ExitError",
			fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", "init", exitStatus(in.exitErr)))
	case <-t.C:
		in.kill()
		return backend.NewFunctionError("Sandbox.Timedout",
			fmt.Sprintf("Init timed out after %.2f seconds", initTimeout.Seconds()))
	case <-ctx.Done():
		return &backend.InvokeError{Kind: backend.KindTimeout, Err: ctx.Err()}
	}
}

func (in *instance) failInit(fe *backend.FunctionError) {
	in.mu.Lock()
	in.initErr = fe
	in.mu.Unlock()
}

// dispatch hands c to the runtime and starts the function's timeout. An
// instance that died since it was picked gives the call straight back for
// another instance: its function never saw the event.
func (in *instance) dispatch(c *call) {
	in.mu.Lock()
	if in.exitErr != nil {
		in.mu.Unlock()
		c.result <- outcome{retry: true}
		return
	}
	in.current = c
	if in.initPending {
		in.initPending = false
		c.init = in.initDur
	}
	c.timer = time.AfterFunc(c.timeout, func() { in.timeOut(c) })
	in.mu.Unlock()
	in.next <- c // buffered; the instance had no call waiting
}

// finish ends c with out if it is still the current call; healthy marks an
// instance that can take the next invocation.
func (in *instance) finish(c *call, out outcome, healthy bool) {
	in.mu.Lock()
	if in.current != c {
		in.mu.Unlock()
		return
	}
	in.current = nil
	in.lastUsed = time.Now()
	end := in.lastUsed
	in.mu.Unlock()
	c.timer.Stop()
	if c.logTail != nil {
		in.output.awaitLines()
	}
	in.report(c, end)
	// The request id stays on the output until the next event is taken:
	// output is read asynchronously, and a line the function wrote just
	// before its response may be read after it.
	// Release before answering, so that the caller's next request finds
	// this instance idle instead of starting another.
	if healthy {
		in.fn.pool.release(in)
	}
	c.result <- out
}

// timeOut ends a call that ran past the function's timeout: Lambda stops
// the environment, so the instance is killed and the next request gets a
// fresh one.
func (in *instance) timeOut(c *call) {
	in.mu.Lock()
	if in.current != c {
		in.mu.Unlock()
		return
	}
	in.current = nil
	picked := c.picked
	in.mu.Unlock()
	if picked {
		in.report(c, time.Now())
	}
	in.log.Warn("invocation timed out", zap.String("request_id", c.requestID), zap.Duration("timeout", c.timeout))
	c.result <- outcome{err: backend.NewTimeoutError(c.requestID, c.timeout)}
	in.kill()
}

// kill stops the process group at once; wait tears the instance down.
func (in *instance) kill() {
	in.stopOnce.Do(func() { close(in.stopping) })
	if <-in.started; in.cmd != nil {
		in.signal(syscall.SIGKILL)
	}
}

// signal sends sig to the instance's process group, unless the runtime
// has been reaped: its pid, and so the group id, may belong to another
// process by then.
func (in *instance) signal(sig syscall.Signal) {
	in.sigMu.Lock()
	defer in.sigMu.Unlock()
	if !in.reaped {
		signalGroup(in.cmd.Process.Pid, sig)
	}
}

// stop asks the process group to end (SIGTERM), kills it after
// stopGrace, and returns once the instance is torn down.
func (in *instance) stop() {
	if <-in.started; in.cmd == nil {
		return // it never started
	}
	// The runtime's pending GET /next stays open until the process has
	// gone: answering it first would make the runtime log a failure.
	select {
	case <-in.exited:
	default:
		in.signal(syscall.SIGTERM)
		select {
		case <-in.exited:
		case <-time.After(stopGrace):
			in.signal(syscall.SIGKILL)
		}
	}
	<-in.gone
}

// logStart writes Lambda's START line of c, when its event is handed to
// the runtime: before any line the function writes for it.
func (in *instance) logStart(c *call) {
	in.lineMu.Lock()
	in.line = metering.AppendStartLine(in.line[:0], c.requestID)
	in.output.platformLine(c.requestID, c.logTail, in.line)
	in.lineMu.Unlock()
}

// report meters c, which ended at end, and writes Lambda's END and
// REPORT lines: after the function's own lines in c's log tail (see
// finish), and in Portico's log.
func (in *instance) report(c *call, end time.Time) {
	var peak int64
	if in.peak != nil {
		peak = in.peak.read()
	}
	r := in.fn.meter.Record(end.Sub(c.handed), c.init, peak)
	in.output.closeTail(c.requestID)
	in.lineMu.Lock()
	defer in.lineMu.Unlock()
	in.line = metering.AppendEndLine(in.line[:0], c.requestID)
	in.output.platformLine(c.requestID, c.logTail, in.line)
	in.line = metering.AppendReportLine(in.line[:0], c.requestID, &r)
	in.output.reportLine(c.requestID, c.logTail, in.line, &r)
}
