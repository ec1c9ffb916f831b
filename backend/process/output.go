package process

import (
	"bufio"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/metering"
)

// Limits on what an instance's output may cost: a line longer than
// maxLineBytes is cut (the rest of it dropped), and past linesPerSecond
// (with a burst of lineBurst) lines are counted and dropped, so a chatty or
// binary-spewing function can neither exhaust memory nor flood the log. The
// pipe is always drained, so the function never blocks on a full pipe.
const (
	maxLineBytes   = 8 << 10
	linesPerSecond = 200
	lineBurst      = 1000
)

// tailWait bounds how long an invocation whose caller asked for its log
// tail waits for the lines its function wrote before answering to be read
// from the pipes: a line without its newline is never complete.
const tailWait = 200 * time.Millisecond

// outputLogger copies an instance's stdout and stderr into Portico's log,
// one entry per line, with the function name and the request id of the
// invocation in progress, and into that invocation's log tail when its
// caller asked for one.
type outputLogger struct {
	log     *zap.Logger
	limit   *rate.Limiter
	current atomic.Pointer[logTarget]
	dropped atomic.Int64
	streams [2]outputStream // stdout, stderr
	// progress is signalled after each line, for awaitLines.
	progress chan struct{}
	// tailMu orders the function's lines in a log tail before the END and
	// REPORT lines that close it (see closeTail); it guards
	// logTarget.closed.
	tailMu sync.Mutex
}

// logTarget is where the lines of the invocation in progress go besides
// Portico's log.
type logTarget struct {
	requestID string
	tail      *backend.LogTail
	// closed: the tail ends with the invocation's REPORT line; lines read
	// later go to Portico's log only.
	closed bool
}

// outputStream counts what was read from one pipe and what of it has been
// handled as lines, so that awaitLines knows when a pipe is caught up.
type outputStream struct {
	name          string
	pipe          *os.File
	read, handled atomic.Int64
}

func (s *outputStream) Read(p []byte) (int, error) {
	n, err := s.pipe.Read(p)
	s.read.Add(int64(n))
	return n, err
}

func newOutputLogger(log *zap.Logger) *outputLogger {
	return &outputLogger{log: log, limit: rate.NewLimiter(linesPerSecond, lineBurst), progress: make(chan struct{}, 1)}
}

// setTarget makes the lines read from now on belong to the invocation
// requestID (none when empty), and copies them into tail if not nil.
func (o *outputLogger) setTarget(requestID string, tail *backend.LogTail) {
	if requestID == "" {
		o.current.Store(nil)
		return
	}
	o.current.Store(&logTarget{requestID: requestID, tail: tail})
}

// copy logs the lines of stdout and stderr until both end.
func (o *outputLogger) copy(out *outputPipes) {
	o.streams[0].name, o.streams[0].pipe = "stdout", out.stdout
	o.streams[1].name, o.streams[1].pipe = "stderr", out.stderr
	out.copied.Add(2)
	for i := range o.streams {
		go func() { defer out.copied.Done(); o.copyStream(&o.streams[i]) }()
	}
}

// copyStream logs the lines read from s until it ends.
func (o *outputLogger) copyStream(s *outputStream) {
	br := bufio.NewReaderSize(s, maxLineBytes)
	for {
		line, isPrefix, err := br.ReadLine()
		if len(line) > 0 || (err == nil && !isPrefix) {
			o.emit(s.name, line, isPrefix)
		}
		for isPrefix && err == nil { // drop the rest of an over-long line
			_, isPrefix, err = br.ReadLine()
		}
		s.handled.Store(s.read.Load() - int64(br.Buffered()))
		select {
		case o.progress <- struct{}{}:
		default:
		}
		if err != nil {
			o.flushDropped()
			return
		}
	}
}

// awaitLines waits, at most tailWait, until the lines the function wrote
// so far are handled: the log and the tail hold them when it returns. It
// exists for the log tail, which must hold the lines written before the
// response, while the pipes are read asynchronously. Caught up means each
// pipe is empty and every byte read is handled; since a read that has
// taken bytes from the pipe counts them only once it returns, caught up
// must hold again, with nothing more read, a moment later.
func (o *outputLogger) awaitLines() {
	deadline := time.NewTimer(tailWait)
	defer deadline.Stop()
	end := time.Now().Add(tailWait)
	for time.Now().Before(end) {
		if reads, ok := o.caughtUp(); ok {
			time.Sleep(settleTime)
			if again, ok := o.caughtUp(); ok && again == reads {
				return
			}
			continue
		}
		select {
		case <-o.progress:
		case <-deadline.C:
			return
		case <-time.After(settleTime):
		}
	}
}

// settleTime is how long awaitLines lets a read in progress count its
// bytes.
const settleTime = time.Millisecond

// caughtUp reports whether every pipe is empty and every byte read from it
// handled, with the total read.
func (o *outputLogger) caughtUp() (int64, bool) {
	var reads int64
	for i := range o.streams {
		s := &o.streams[i]
		if s.pipe == nil {
			return 0, true
		}
		waiting, ok := pipeWaiting(s.pipe)
		read := s.read.Load()
		if !ok || waiting > 0 || s.handled.Load() < read {
			return 0, false
		}
		reads += read
	}
	return reads, true
}

// pipeWaiting is how many bytes wait in the pipe (FIONREAD, which
// x/sys names TIOCINQ on Linux: the same request). It goes
// through SyscallConn: Fd would switch the pipe to blocking mode.
func pipeWaiting(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int
	var ioErr error
	if err := rc.Control(func(fd uintptr) { n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); err != nil || ioErr != nil {
		return 0, false
	}
	return n, true
}

func (o *outputLogger) emit(stream string, line []byte, cut bool) {
	target := o.current.Load()
	if target != nil && target.tail != nil {
		o.tailMu.Lock()
		if !target.closed {
			target.tail.Write(append(line[:len(line):len(line)], '\n'))
		}
		o.tailMu.Unlock()
	}
	if !o.limit.AllowN(time.Now(), 1) {
		o.dropped.Add(1)
		return
	}
	o.flushDropped()
	fields := []zap.Field{zap.String("stream", stream), zap.String("line", string(line))}
	if target != nil {
		fields = append(fields, zap.String("request_id", target.requestID))
	}
	if cut {
		fields = append(fields, zap.Bool("truncated", true))
	}
	o.log.Info(backend.OutputLogMessage, fields...)
}

// closeTail ends the log tail of the invocation requestID: the lines the
// function writes from now on, until its next event, stay out of it, so
// that END and REPORT, written next, end it as on Lambda, where the tail
// is the last 4 KB up to REPORT. Those lines (a function's output after
// its response, read late) are still logged with the request id.
func (o *outputLogger) closeTail(requestID string) {
	o.tailMu.Lock()
	if t := o.current.Load(); t != nil && t.requestID == requestID {
		t.closed = true
	}
	o.tailMu.Unlock()
}

// platformLine writes a line of the platform's own about the invocation
// requestID (START, END) into its log tail, if any, and Portico's log,
// as stream "platform". It is not subject to the function's line limit:
// there are three per invocation, whatever the function writes.
func (o *outputLogger) platformLine(requestID string, tail *backend.LogTail, line []byte) {
	if tail != nil {
		tail.Write(append(line, '\n')) // into the spare room of the caller's buffer (instance.line)
	}
	if ce := o.log.Check(zapcore.InfoLevel, backend.OutputLogMessage); ce != nil {
		ce.Write(zap.String("stream", "platform"), zap.String("line", string(line)), zap.String("request_id", requestID))
	}
}

// reportLine is platformLine for the REPORT line, whose figures go into
// Portico's log as fields too.
func (o *outputLogger) reportLine(requestID string, tail *backend.LogTail, line []byte, r *metering.Report) {
	if tail != nil {
		tail.Write(append(line, '\n'))
	}
	if ce := o.log.Check(zapcore.InfoLevel, backend.OutputLogMessage); ce != nil {
		fields := []zap.Field{zap.String("stream", "platform"), zap.String("line", string(line)), zap.String("request_id", requestID),
			zap.Float64("duration_ms", float64(r.Duration)/1e6), zap.Int64("billed_ms", r.Billed.Milliseconds()),
			zap.Int("memory_mb", r.MemoryMB), zap.Int("max_memory_used_mb", metering.MemoryMB(r.MaxMemoryUsed))}
		if r.Init > 0 {
			fields = append(fields, zap.Float64("init_ms", float64(r.Init)/1e6))
		}
		ce.Write(fields...)
	}
}

func (o *outputLogger) flushDropped() {
	if n := o.dropped.Swap(0); n > 0 {
		o.log.Warn("output lines dropped", zap.Int64("lines", n))
	}
}
