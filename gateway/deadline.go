package gateway

import (
	"context"
	"sync"
	"time"
)

// deadlineContext is the context of one invocation: it carries the
// integration deadline, and makes its Done channel (and the timer that
// closes it) only when a backend asks for it. The http backend only reads
// Deadline and the builtins nothing, so most requests pay for no timer;
// the process backend waits on Done and gets a real one. Pooled in the
// exchange: reset re-arms it for the next request.
type deadlineContext struct {
	deadline time.Time

	mu    sync.Mutex
	gen   uint64 // which use of the pooled context a timer belongs to
	done  chan struct{}
	timer *time.Timer
	err   error
}

var _ context.Context = (*deadlineContext)(nil)

func (c *deadlineContext) reset(deadline time.Time) {
	c.mu.Lock()
	c.deadline = deadline
	c.gen++
	c.done, c.timer, c.err = nil, nil, nil
	c.mu.Unlock()
}

// stop releases the timer; the context must not be used afterwards.
func (c *deadlineContext) stop() {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
}

func (c *deadlineContext) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, true
}
func (c *deadlineContext) Value(any) any { return nil }

func (c *deadlineContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if d := time.Until(c.deadline); d <= 0 {
			c.expireLocked()
		} else {
			gen := c.gen
			c.timer = time.AfterFunc(d, func() { c.expire(gen) })
		}
	}
	return c.done
}

// expire is the timer's: a timer of an earlier use that fires late finds
// another generation and does nothing.
func (c *deadlineContext) expire(gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.expireLocked()
	}
	c.mu.Unlock()
}

func (c *deadlineContext) expireLocked() {
	if c.err == nil {
		c.err = context.DeadlineExceeded
		close(c.done)
	}
}

func (c *deadlineContext) Err() error { return c.errAt(time.Now()) }

// expiredAt reports whether the deadline had passed at now (or the timer
// a backend asked for has fired): Err without reading the clock again.
func (c *deadlineContext) expiredAt(now time.Time) bool { return c.errAt(now) != nil }

func (c *deadlineContext) errAt(now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !now.Before(c.deadline) { // no timer was asked for
		if c.done == nil {
			c.done = make(chan struct{})
		}
		c.expireLocked()
	}
	return c.err
}
