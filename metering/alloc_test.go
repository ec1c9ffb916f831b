//go:build !race

package metering

import (
	"testing"
	"time"
)

// Recording an invocation and writing its three lines into a buffer with
// room costs no allocation: they run on every invocation of a local
// function.
func TestRecordAllocs(t *testing.T) {
	m := NewMeter("f", 128, Config{})
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(1000, func() {
		r := m.Record(3*time.Millisecond, time.Millisecond, 20*MiB)
		buf = AppendStartLine(buf[:0], reqID)
		buf = AppendEndLine(buf[:0], reqID)
		buf = AppendReportLine(buf[:0], reqID, &r)
	})
	if allocs != 0 {
		t.Errorf("got %v allocations, want 0", allocs)
	}
}
