//go:build !race

package awsid

import (
	"testing"
	"time"
)

func TestAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendUUID(buf[:0])
		buf = AppendTraceID(buf[:0], now)
	}); n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}
