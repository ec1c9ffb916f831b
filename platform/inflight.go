package platform

import (
	"context"
	"sync"
	"time"

	"github.com/portico/portico/backend"
)

// inflight counts the invocations of one function that the Invoke API and
// the async queue have running, so that a reload closes a function it
// replaced only once they end: closing it under them would kill their
// runtimes, and the queue would take each kill (Runtime.ExitError) for the
// function's own error, to retry or send to onFailure. Routes are not
// counted here: the gateway drains its own requests (gateway.Server.Reload).
type inflight struct {
	mu sync.Mutex
	n  int
	// idle is closed when n drops to 0 while wait waits; nil otherwise.
	idle chan struct{}
}

func (f *inflight) enter() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *inflight) leave() {
	f.mu.Lock()
	if f.n--; f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
	f.mu.Unlock()
}

// wait waits until no invocation is counted in or until deadline, and
// reports whether none is.
func (f *inflight) wait(deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		f.mu.Lock()
		if f.n == 0 {
			f.mu.Unlock()
			return true
		}
		if f.idle == nil {
			f.idle = make(chan struct{})
		}
		idle := f.idle
		f.mu.Unlock()
		select {
		case <-idle:
		case <-timer.C:
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.n == 0
		}
	}
}

// counted is an invoker whose invocations count in flights.
type counted struct {
	inv     backend.Invoker
	flights *inflight
}

func (c *counted) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	c.flights.enter()
	defer c.flights.leave()
	return c.inv.Invoke(ctx, inv, dst)
}
