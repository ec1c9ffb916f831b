package platform

import (
	"testing"
	"time"
)

func TestInflightWait(t *testing.T) {
	var f inflight
	if !f.wait(time.Now()) {
		t.Fatal("nothing in flight: wait reported some")
	}
	f.enter()
	start := time.Now()
	if f.wait(start.Add(30 * time.Millisecond)) {
		t.Fatal("an invocation in flight: wait reported none")
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("wait gave up after %v, before its deadline", took)
	}
	done := make(chan bool, 1)
	go func() { done <- f.wait(time.Now().Add(10 * time.Second)) }()
	f.enter()
	f.leave()
	f.leave()
	select {
	case ok := <-done:
		if !ok {
			t.Error("wait reported invocations after the last left")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return when the last invocation left")
	}
}
