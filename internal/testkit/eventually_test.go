package testkit

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	Eventually(t, 5*time.Second, "three increments", func() bool { return n.Load() == 3 })
}

func TestEventuallyFailsAtTheDeadline(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(ft, 10*time.Millisecond, "nothing", func() bool { return false })
	}()
	<-done
	if !ft.failed {
		t.Error("Eventually returned without failing for a condition that never held")
	}
}

// fatalRecorder records Fatalf and ends the goroutine as testing.T would.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(string, ...any) {
	f.failed = true
	runtime.Goexit()
}
