package gateway

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/portico/portico/backend"
)

// AccessLoggerName is the name of the gateway's access logger: the
// entries of a logger so named (see NewLogger) are the access log.
const AccessLoggerName = "access"

// Log buffering, as nginx's `access_log … buffer=64k flush=1s`: a line
// of the access log or of a function's output waits at most logFlush
// before it is written.
const (
	logBuffer = 64 << 10
	logFlush  = time.Second
)

// AccessLog is where access log lines go: log.file (appended to, created
// 0640) or, without one, the process log's writer. Lines are buffered and
// written at least every second, on Sync and on Close, so that a request
// does not pay for a write. It is safe for concurrent use.
type AccessLog struct {
	buf  *zapcore.BufferedWriteSyncer
	out  reopenable
	path string // "" writes to the process log's writer
}

// OpenAccessLog opens the access log at path, or uses stderr (the process
// log's writer, shared so that their writes do not interleave) when path
// is "". Close it after the last request.
func OpenAccessLog(path string, stderr zapcore.WriteSyncer) (*AccessLog, error) {
	a := &AccessLog{path: path}
	a.out.w = stderr
	if path != "" {
		f, err := openAccessFile(path)
		if err != nil {
			return nil, err
		}
		a.out.w, a.out.f = f, f
	}
	a.buf = &zapcore.BufferedWriteSyncer{WS: &a.out, Size: logBuffer, FlushInterval: logFlush}
	return a, nil
}

func openAccessFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log.file: %w", err)
	}
	return f, nil
}

// Write buffers p, which holds whole lines.
func (a *AccessLog) Write(p []byte) (int, error) { return a.buf.Write(p) }

// Sync writes the buffered lines out.
func (a *AccessLog) Sync() error { return a.buf.Sync() }

// Reopen writes the buffered lines out and opens log.file again, as nginx
// does on SIGUSR1: after logrotate has renamed the file, new lines go to a
// new file at the configured path. Without log.file it only writes out.
func (a *AccessLog) Reopen() error {
	if err := a.buf.Sync(); err != nil {
		return err
	}
	if a.path == "" {
		return nil
	}
	f, err := openAccessFile(a.path)
	if err != nil {
		return err // the old file stays in use
	}
	return a.out.swap(f)
}

// Close writes the buffered lines out, stops the flushing, and closes
// log.file.
func (a *AccessLog) Close() error {
	err := a.buf.Stop()
	a.out.mu.Lock()
	defer a.out.mu.Unlock()
	if a.out.f != nil {
		if cerr := a.out.f.Close(); err == nil {
			err = cerr
		}
		// A line written after Close goes nowhere rather than to a
		// closed file.
		a.out.w, a.out.f = zapcore.AddSync(io.Discard), nil
	}
	return err
}

// reopenable is the access log's destination, which Reopen replaces.
type reopenable struct {
	mu sync.Mutex
	w  zapcore.WriteSyncer
	f  *os.File // w when it is log.file, which Reopen and Close close
}

func (r *reopenable) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.Write(p)
}

func (r *reopenable) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		// A regular file needs no fsync for its lines to reach logrotate
		// or tail: the write has put them in the page cache.
		return nil
	}
	return r.w.Sync()
}

func (r *reopenable) swap(f *os.File) error {
	r.mu.Lock()
	old := r.f
	r.w, r.f = f, f
	r.mu.Unlock()
	return old.Close()
}

// EncoderConfig is the encoding of Portico's JSON log lines, the process
// log's and the access log's.
func EncoderConfig() zapcore.EncoderConfig {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	return enc
}

// NewFunctionLog returns the writer of the functions' output lines
// (backend.OutputLogMessage entries) for NewLogger: out through a buffer
// written at least every second and on Sync, so that an invocation does
// not pay for the writes of its START, END and REPORT lines. Stop it after
// the last invocation.
func NewFunctionLog(out zapcore.WriteSyncer) *zapcore.BufferedWriteSyncer {
	return &zapcore.BufferedWriteSyncer{WS: out, Size: logBuffer, FlushInterval: logFlush}
}

// NewLogger returns the logger `portico serve` gives the gateway: JSON
// lines (EncoderConfig) at level and above, the access log's to access,
// the functions' output (info entries with backend.OutputLogMessage) to
// functions, and the others to out. The gateway writes a successful
// request's line to access itself, in the same form, for a fifth of zap's
// cost. The functions' lines may reach out up to a second after the
// gateway's own lines written meanwhile: their timestamps keep the order.
func NewLogger(level zapcore.Level, out, functions zapcore.WriteSyncer, access *AccessLog) *zap.Logger {
	enc := func(w zapcore.WriteSyncer) zapcore.Core {
		return zapcore.NewCore(zapcore.NewJSONEncoder(EncoderConfig()), w, level)
	}
	return zap.New(splitCore{process: enc(out), access: enc(access), functions: enc(functions), log: access})
}

// splitCore sends the entries of the logger named AccessLoggerName to
// access, a function's output to functions, and every other entry to
// process. log is where access writes, for the gateway's own lines; a
// core With fields has none, so that the fields are not left out of a
// line.
type splitCore struct {
	process, access, functions zapcore.Core
	log                        *AccessLog
}

func (s splitCore) pick(ent zapcore.Entry) zapcore.Core {
	switch {
	case ent.LoggerName == AccessLoggerName:
		return s.access
	case ent.Message == backend.OutputLogMessage && ent.Level == zapcore.InfoLevel:
		return s.functions
	}
	return s.process
}

func (s splitCore) Enabled(l zapcore.Level) bool {
	return s.process.Enabled(l) || s.access.Enabled(l)
}

func (s splitCore) With(fields []zapcore.Field) zapcore.Core {
	return splitCore{process: s.process.With(fields), access: s.access.With(fields), functions: s.functions.With(fields)}
}

func (s splitCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return s.pick(ent).Check(ent, ce)
}

func (s splitCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	return s.pick(ent).Write(ent, fields)
}

func (s splitCore) Sync() error {
	return errors.Join(s.process.Sync(), s.access.Sync(), s.functions.Sync())
}

// accessWriter returns where the access log of a logger from NewLogger
// goes, or nil for any other logger (tests', or one With fields).
func accessWriter(l *zap.Logger) *AccessLog {
	if s, ok := l.Core().(splitCore); ok {
		return s.log
	}
	return nil
}
