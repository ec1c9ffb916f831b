package testkit

import (
	"bytes"
	"sync"
)

// Buffer keeps what is written to it, safe for concurrent use: the output
// of a child process or a logger, written from other goroutines while the
// test reads it. It is a zapcore.WriteSyncer too.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Sync does nothing: what is written is kept at once.
func (b *Buffer) Sync() error { return nil }

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
