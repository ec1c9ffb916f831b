package process

import (
	"bufio"
	"io"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
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

// outputLogger copies an instance's stdout and stderr into Portico's log,
// one entry per line, with the function name and the request id of the
// invocation in progress.
type outputLogger struct {
	log       *zap.Logger
	limit     *rate.Limiter
	requestID atomic.Pointer[string]
	dropped   atomic.Int64
}

func newOutputLogger(log *zap.Logger) *outputLogger {
	return &outputLogger{log: log, limit: rate.NewLimiter(linesPerSecond, lineBurst)}
}

func (o *outputLogger) setRequestID(id string) {
	if id == "" {
		o.requestID.Store(nil)
		return
	}
	o.requestID.Store(&id)
}

// copy logs the lines read from r until it ends.
func (o *outputLogger) copy(r io.Reader, stream string) {
	br := bufio.NewReaderSize(r, maxLineBytes)
	for {
		line, isPrefix, err := br.ReadLine()
		if len(line) > 0 || (err == nil && !isPrefix) {
			o.emit(stream, line, isPrefix)
		}
		for isPrefix && err == nil { // drop the rest of an over-long line
			_, isPrefix, err = br.ReadLine()
		}
		if err != nil {
			o.flushDropped()
			return
		}
	}
}

func (o *outputLogger) emit(stream string, line []byte, cut bool) {
	if !o.limit.AllowN(time.Now(), 1) {
		o.dropped.Add(1)
		return
	}
	o.flushDropped()
	fields := []zap.Field{zap.String("stream", stream), zap.String("line", string(line))}
	if id := o.requestID.Load(); id != nil {
		fields = append(fields, zap.String("request_id", *id))
	}
	if cut {
		fields = append(fields, zap.Bool("truncated", true))
	}
	o.log.Info("output", fields...)
}

func (o *outputLogger) flushDropped() {
	if n := o.dropped.Swap(0); n > 0 {
		o.log.Warn("output lines dropped", zap.Int64("lines", n))
	}
}
