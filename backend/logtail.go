package backend

import "sync"

// OutputLogMessage is the message of the process log's entries that carry
// a function's log: each line it writes and the platform's START, END and
// REPORT lines about its invocations. `portico serve` writes these through
// a buffer, as it does the access log.
const OutputLogMessage = "output"

// LogTailSize is how much of an invocation's log X-Amz-Log-Type: Tail
// returns: the last 4 KB, as Lambda returns.
const LogTailSize = 4 << 10

// LogTail keeps the last LogTailSize bytes of the log lines of one
// invocation. An invoker whose function writes a log (process) appends each
// line the function wrote during the invocation; the others leave it empty.
// It is safe for concurrent use: the lines arrive from the goroutines that
// read the function's output.
type LogTail struct {
	mu  sync.Mutex
	buf []byte
}

// Write appends p, dropping the oldest bytes past LogTailSize.
func (t *LogTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if n >= LogTailSize {
		t.buf = append(t.buf[:0], p[n-LogTailSize:]...)
		return n, nil
	}
	if over := len(t.buf) + n - LogTailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// Bytes returns a copy of what the tail holds.
func (t *LogTail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
