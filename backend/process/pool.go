package process

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/portico/portico/backend"
)

// pool schedules a function's instances: idle ones are reused last-in
// first-out (the warmest first), a free slot under the concurrency limit
// starts a new one, and past the limit a request queues for a bounded time.
type pool struct {
	mu      sync.Mutex
	idle    []*instance // oldest first
	all     map[*instance]struct{}
	total   int // instances running or starting; at most max
	max     int
	min     int
	waiters []*waiter
	closed  bool
}

// waiter is a request queued for an instance. It receives an idle
// instance, or nil: a slot to start one.
type waiter struct{ ch chan *instance }

var (
	errThrottled = errors.New("TooManyRequestsException: Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)")
	errClosed    = errors.New("function is shutting down")
)

// acquire returns an idle instance, or nil and no error when the caller
// holds a slot to start one.
func (p *pool) acquire(ctx context.Context, queueTimeout time.Duration) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, &backend.InvokeError{Kind: backend.KindUnavailable, Err: errClosed}
	}
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return in, nil
	}
	if p.total < p.max {
		p.total++
		p.mu.Unlock()
		return nil, nil
	}
	w := &waiter{ch: make(chan *instance, 1)}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()

	t := time.NewTimer(queueTimeout)
	defer t.Stop()
	var err error
	select {
	case in := <-w.ch:
		return p.checkGrant(in)
	case <-t.C:
		err = &backend.InvokeError{Kind: backend.KindThrottled, Err: errThrottled}
	case <-ctx.Done():
		err = &backend.InvokeError{Kind: backend.KindTimeout, Err: ctx.Err()}
	}
	p.mu.Lock()
	for i, q := range p.waiters {
		if q == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, err
		}
	}
	p.mu.Unlock()
	// A grant raced the give-up: pass it on.
	if in := <-w.ch; in != nil {
		p.release(in)
	} else {
		p.releaseSlot()
	}
	return nil, err
}

// checkGrant refuses a slot granted while the pool was closing.
func (p *pool) checkGrant(in *instance) (*instance, error) {
	if in != nil {
		return in, nil
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.releaseSlot()
		return nil, &backend.InvokeError{Kind: backend.KindUnavailable, Err: errClosed}
	}
	return nil, nil
}

// register counts a starting instance against its slot. It refuses once
// the pool is closing: the caller gives the slot back and starts nothing,
// so Close never misses an instance.
func (p *pool) register(in *instance) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	in.inPool = true
	p.all[in] = struct{}{}
	return true
}

// unregister forgets an instance whose process did not start; the caller
// still holds its slot.
func (p *pool) unregister(in *instance) {
	p.mu.Lock()
	in.inPool = false
	delete(p.all, in)
	p.mu.Unlock()
}

// release makes a healthy instance available: to the first waiter, or idle.
func (p *pool) release(in *instance) {
	p.mu.Lock()
	if !in.inPool {
		p.mu.Unlock()
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w.ch <- in
		return
	}
	p.idle = append(p.idle, in)
	p.mu.Unlock()
}

// releaseSlot gives back a slot whose instance never started.
func (p *pool) releaseSlot() {
	p.mu.Lock()
	p.freeSlotLocked()
	p.mu.Unlock()
}

// freeSlotLocked hands a freed slot to the first waiter, or frees it.
func (p *pool) freeSlotLocked() {
	if len(p.waiters) > 0 && !p.closed {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		w.ch <- nil
		return
	}
	p.total--
}

// discard forgets an instance that exited or is being stopped, freeing its
// slot. Only the first call for an instance counts.
func (p *pool) discard(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !in.inPool {
		return
	}
	in.inPool = false
	delete(p.all, in)
	for i, q := range p.idle {
		if q == in {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.freeSlotLocked()
}

// expired removes and returns idle instances unused since before cutoff,
// keeping at least min instances.
func (p *pool) expired(cutoff time.Time) []*instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*instance
	for len(p.idle) > 0 && p.total > p.min {
		in := p.idle[0]
		in.mu.Lock()
		last := in.lastUsed
		in.mu.Unlock()
		if !last.Before(cutoff) {
			break
		}
		p.idle = p.idle[1:]
		in.inPool = false
		delete(p.all, in)
		p.total--
		out = append(out, in)
	}
	return out
}

// deficit claims slots for the instances missing below min.
func (p *pool) deficit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.total >= p.min {
		return 0
	}
	n := p.min - p.total
	p.total += n
	return n
}

// stats reports instances running (or starting) and idle.
func (p *pool) stats() (total, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total, len(p.idle)
}

// close stops taking requests and returns every instance to stop.
func (p *pool) close() []*instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, w := range p.waiters {
		p.total++ // each waiter gives its slot back when it sees the pool closed
		w.ch <- nil
	}
	p.waiters = nil
	out := make([]*instance, 0, len(p.all))
	for in := range p.all {
		out = append(out, in)
	}
	p.idle = nil
	return out
}
