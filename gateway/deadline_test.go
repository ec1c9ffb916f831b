package gateway

import (
	"context"
	"testing"
	"time"
)

func TestDeadlineContext(t *testing.T) {
	var c deadlineContext
	c.reset(time.Now().Add(50 * time.Millisecond))
	if d, ok := c.Deadline(); !ok || time.Until(d) <= 0 {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if c.Err() != nil {
		t.Fatalf("err before the deadline: %v", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("Done never closed")
	}
	if c.Err() != context.DeadlineExceeded {
		t.Errorf("err %v", c.Err())
	}
	c.stop()

	// Past deadline without anyone waiting: Err still reports it.
	c.reset(time.Now().Add(-time.Millisecond))
	if c.Err() != context.DeadlineExceeded {
		t.Errorf("err %v", c.Err())
	}
	<-c.Done()
	c.stop()

	// Re-armed and stopped early: no timer fires into the next use.
	c.reset(time.Now().Add(time.Hour))
	done := c.Done()
	c.stop()
	c.reset(time.Now().Add(time.Hour))
	select {
	case <-done:
		t.Error("old Done closed")
	case <-time.After(20 * time.Millisecond):
	}
	if c.Err() != nil {
		t.Errorf("fresh context has err %v", c.Err())
	}
	c.stop()

	// expiredAt judges by the time it is given, and an expiry it finds
	// sticks: Err and Done say so after.
	deadline := time.Now().Add(time.Hour)
	c.reset(deadline)
	if c.expiredAt(deadline.Add(-time.Nanosecond)) {
		t.Error("expired before its deadline")
	}
	if !c.expiredAt(deadline) {
		t.Error("not expired at its deadline")
	}
	if c.Err() != context.DeadlineExceeded {
		t.Errorf("err %v after expiredAt", c.Err())
	}
	<-c.Done()
	c.stop()
}
