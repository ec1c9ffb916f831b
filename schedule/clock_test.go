package schedule

import (
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// fakeClock is a Clock that moves only when the test moves it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// set moves the clock to now and wakes every waiter that is due.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- now
	}
	c.waiters = kept
}

// waitFor waits until n goroutines wait on the clock: each Scheduler's
// goroutine has handled its tick and waits for the next.
func (c *fakeClock) waitFor(t *testing.T, n int) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, "goroutines waiting on the clock", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.waiters) == n
	})
}

// advance moves the clock to the earliest waiter's deadline, after
// waiting for n waiters, and returns it.
func (c *fakeClock) advance(t *testing.T, n int) time.Time {
	t.Helper()
	c.waitFor(t, n)
	c.mu.Lock()
	at := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(at) {
			at = w.at
		}
	}
	c.mu.Unlock()
	c.set(at)
	return at
}
