package eventsource

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/internal/lambdalimit"
)

// consumer is what a source needs of its queue or stream. Its methods
// are safe for concurrent use once open returned nil.
type consumer interface {
	// open connects and checks that the queue or group exists (creating
	// the group where the type does); it is called again after an error
	// gone reports.
	open(ctx context.Context) error
	// receive returns at most max messages, waiting at most wait for the
	// first one (zero: not at all).
	receive(ctx context.Context, max int, wait time.Duration) ([]*message, error)
	// limits are the most messages one receive returns and how long a
	// receive on an empty queue waits.
	limits() (max int, longPoll time.Duration)
	// remove deletes (acknowledges) messages the function handled.
	remove(ctx context.Context, msgs []*message) error
	// tooLarge takes a message whose event would exceed the payload limit
	// out of the way, and says whether it went to a dead-letter stream.
	tooLarge(ctx context.Context, m *message) (deadLettered bool, err error)
	// lag is the number of messages waiting to be delivered.
	lag(ctx context.Context) (int64, error)
	// gone says whether err means the queue or group no longer exists,
	// so that open must run again.
	gone(err error) bool
}

// Bounds of the wait between attempts after a failure to reach the queue
// (missing, credentials refused, connection lost) or a throttled
// invocation: doubling from the first to the last, with jitter.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 30 * time.Second
	// removeTimeout bounds the delete (acknowledgement) after an
	// invocation, which runs even while the source stops, so that a batch
	// the function handled is not delivered again.
	removeTimeout = 10 * time.Second
	// lagInterval is how often the lag gauge is read from the queue.
	lagInterval = 10 * time.Second
	// maxTimeout is Lambda's longest function timeout, the bound of an
	// invocation when the function sets none.
	maxTimeout = 15 * time.Minute
	// defaultMaxPollers caps the pollers of a source whose function sets
	// no concurrency.
	defaultMaxPollers = 10
)

// source runs the pollers of one event source. Each poller receives a
// batch, invokes the function with it synchronously and settles it; the
// number of pollers grows while batches come back full and shrinks when
// a receive comes back empty.
type source struct {
	cfg      Config
	name     string
	c        consumer
	log      *zap.Logger
	fn       atomic.Pointer[Function]
	st       stats
	pollers  atomic.Int32
	wg       sync.WaitGroup
	needOpen atomic.Bool
	openMu   sync.Mutex

	// stop ends polling; done is closed when every poller has returned.
	stop context.CancelFunc
	done chan struct{}

	failMu  sync.Mutex
	failing bool
	// warnFail and warnBatch throttle the lines of a queue that stays
	// down and of a function that keeps failing.
	warnFail, warnBatch rate.Sometimes
}

// newSource makes a source; the caller sets its consumer.
func newSource(cfg Config, fn Function, log *zap.Logger) *source {
	s := &source{cfg: cfg, name: cfg.Name(), done: make(chan struct{}),
		warnFail:  rate.Sometimes{Interval: 30 * time.Second},
		warnBatch: rate.Sometimes{Interval: 30 * time.Second}}
	s.log = log.With(zap.String("function", cfg.Function), zap.String("type", cfg.Type), zap.String("source", s.name))
	s.fn.Store(&fn)
	s.needOpen.Store(true)
	return s
}

// timeout bounds one invocation: the function's timeout, at most 15
// minutes.
func (f *Function) timeout() time.Duration {
	if f.Timeout <= 0 || f.Timeout > maxTimeout {
		return maxTimeout
	}
	return f.Timeout
}

// maxPollers is the most pollers one source runs for the function.
func (f *Function) maxPollers() int32 {
	if f.Concurrency <= 0 {
		return defaultMaxPollers
	}
	return int32(f.Concurrency)
}

// start runs the source until ctx is done; invokeCtx bounds the
// invocations of batches already received, which outlive ctx.
func (s *source) start(ctx, invokeCtx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.pollers.Store(1)
	s.wg.Add(2)
	go s.poll(ctx, invokeCtx)
	go s.watchLag(ctx)
	go func() {
		s.wg.Wait()
		close(s.done)
	}()
}

// poll is one poller's loop.
func (s *source) poll(ctx, invokeCtx context.Context) {
	defer s.wg.Done()
	var carry []*message
	// delay follows failures to reach the queue, pause throttled
	// invocations; each doubles while its failures last.
	var delay, pause time.Duration
	for ctx.Err() == nil {
		if s.pollers.Load() > s.fn.Load().maxPollers() && s.shrink() {
			return
		}
		if wait := max(delay, pause); wait > 0 && !sleep(ctx, jitter(wait)) {
			break
		}
		if err := s.open(ctx); err != nil {
			delay = s.failed(ctx, "open", err, delay)
			continue
		}
		batch, rest, err := s.collect(ctx, carry)
		carry = rest
		if err != nil {
			if s.c.gone(err) {
				s.needOpen.Store(true)
			}
			delay = s.failed(ctx, "receive", err, delay)
			if len(batch) == 0 {
				continue
			}
		} else {
			s.recovered()
			delay = 0
		}
		if len(batch) == 0 {
			if s.shrink() {
				return
			}
			continue
		}
		if len(batch) == s.cfg.batchSize() {
			s.grow(ctx, invokeCtx)
		}
		if err := s.process(invokeCtx, batch); backend.IsKind(err, backend.KindThrottled) {
			// The function has no room: fewer pollers, and a pause.
			if s.shrink() {
				return
			}
			pause = min(backoffMax, max(backoffMin, pause*2))
		} else {
			pause = 0
		}
	}
	// Messages received but not yet invoked are left for redelivery.
	_ = carry
}

// collect gathers one batch: up to batchSize messages, within the
// batching window that starts with the first message, and within the
// payload limit; a message that does not fit the event is carried to the
// next batch. With messages in hand, an error ends the batch early and is
// returned with it.
func (s *source) collect(ctx context.Context, carry []*message) (batch, rest []*message, err error) {
	size := s.cfg.batchSize()
	window := s.cfg.MaximumBatchingWindow
	perReceive, longPoll := s.c.limits()
	batch = carry
	// at indexes the batch by message id.
	at := make(map[string]int, len(carry))
	for i, m := range carry {
		at[m.id] = i
	}
	var deadline time.Time
	if len(batch) > 0 {
		deadline = time.Now().Add(window)
	}
	for len(batch) < size {
		wait := longPoll
		if len(batch) > 0 {
			wait = time.Until(deadline)
			if window == 0 || wait <= 0 {
				break
			}
		}
		msgs, err := s.c.receive(ctx, min(perReceive, size-len(batch)), wait)
		if err != nil {
			return batch, nil, err
		}
		s.st.received.Add(int64(len(msgs)))
		if len(msgs) == 0 && len(batch) == 0 {
			return nil, nil, nil
		}
		if len(batch) == 0 && len(msgs) > 0 {
			deadline = time.Now().Add(window)
		}
		for i, m := range msgs {
			if eventOverhead+len(m.record) > lambdalimit.RequestBytes {
				s.tooLarge(ctx, m)
				continue
			}
			if j, dup := at[m.id]; dup {
				// Received again within the batch (its visibility timeout
				// ran out during the window): one record, the latest
				// delivery's, whose receipt handle is the one that deletes.
				if eventSize(batch)-len(batch[j].record)+len(m.record) <= lambdalimit.RequestBytes {
					batch[j] = m
				}
				continue
			}
			if eventSize(batch)+1+len(m.record) > lambdalimit.RequestBytes {
				return batch, msgs[i:], nil
			}
			at[m.id] = len(batch)
			batch = append(batch, m)
		}
	}
	return batch, nil, nil
}

// tooLarge sets aside a message whose event alone exceeds the payload
// limit, which no invocation could carry.
func (s *source) tooLarge(ctx context.Context, m *message) {
	dead, err := s.c.tooLarge(ctx, m)
	switch {
	case err != nil:
		s.log.Error("message too large for an invocation; setting it aside failed, it will be delivered again",
			zap.String("message_id", m.id), zap.Int("record_bytes", len(m.record)), zap.Error(err))
		s.st.failed.Add(1)
	case dead:
		s.log.Error("message too large for an invocation: moved to the dead-letter stream",
			zap.String("message_id", m.id), zap.Int("record_bytes", len(m.record)), zap.Int("limit", lambdalimit.RequestBytes))
		s.st.deadLettered.Add(1)
	default:
		s.log.Error("message too large for an invocation: left on the queue for its redrive policy",
			zap.String("message_id", m.id), zap.Int("record_bytes", len(m.record)), zap.Int("limit", lambdalimit.RequestBytes))
		s.st.failed.Add(1)
	}
}

// process invokes the function with a batch and settles it: the messages
// the function handled are deleted in one go after the invocation, the
// others are left for redelivery. It returns the invocation's error.
func (s *source) process(invokeCtx context.Context, batch []*message) error {
	s.st.batches.Add(1)
	s.st.inFlight.Add(1)
	defer s.st.inFlight.Add(-1)
	fn := s.fn.Load()
	inv := backend.Invocation{
		Function:  s.cfg.Function,
		Event:     appendEvent(make([]byte, 0, eventSize(batch)), batch),
		RequestID: awsid.NewUUID(),
	}
	ctx, cancel := context.WithTimeout(invokeCtx, fn.timeout())
	result, err := fn.Invoker.Invoke(ctx, &inv, nil)
	cancel()

	done := batch
	if err != nil {
		done = nil
		s.warnBatch.Do(func() {
			s.log.Warn("batch failed: its messages will be delivered again (this line at most every 30s)",
				zap.String("request_id", inv.RequestID), zap.Int("messages", len(batch)), zap.Error(err))
		})
	} else if s.cfg.reportsFailures() {
		failed, perr := failedItems(result, batch)
		if perr != nil {
			done = nil
			s.log.Warn("batch failed: its messages will be delivered again",
				zap.String("request_id", inv.RequestID), zap.Int("messages", len(batch)), zap.Error(perr))
		} else if len(failed) > 0 {
			done = without(batch, failed)
		}
	}
	s.st.failed.Add(int64(len(batch) - len(done)))
	if len(done) == 0 {
		return err
	}
	// The function handled these: delete them even while the source
	// stops, all in one go where the queue allows.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(invokeCtx), removeTimeout)
	defer rcancel()
	if rerr := s.c.remove(rctx, done); rerr != nil {
		s.log.Error("deleting handled messages failed: they will be delivered again",
			zap.String("request_id", inv.RequestID), zap.Int("messages", len(done)), zap.Error(rerr))
		s.st.pollErrors.Add(1)
		return err
	}
	s.st.deleted.Add(int64(len(done)))
	return err
}

// without returns batch less the messages at the indexes failed.
func without(batch []*message, failed []int) []*message {
	skip := make(map[int]bool, len(failed))
	for _, i := range failed {
		skip[i] = true
	}
	var done []*message
	for i, m := range batch {
		if !skip[i] {
			done = append(done, m)
		}
	}
	return done
}

// grow adds a poller, up to the function's concurrency.
func (s *source) grow(ctx, invokeCtx context.Context) {
	limit := s.fn.Load().maxPollers()
	for {
		n := s.pollers.Load()
		if n >= limit {
			return
		}
		if s.pollers.CompareAndSwap(n, n+1) {
			// The caller is a poller, so the group is not at zero: Add
			// cannot race with the Wait in start.
			s.wg.Add(1)
			go s.poll(ctx, invokeCtx)
			return
		}
	}
}

// shrink retires the calling poller unless it is the last one, and says
// whether it did.
func (s *source) shrink() bool {
	for {
		n := s.pollers.Load()
		if n <= 1 {
			return false
		}
		if s.pollers.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// open opens the consumer when it is not open; one poller at a time.
func (s *source) open(ctx context.Context) error {
	if !s.needOpen.Load() {
		return nil
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if !s.needOpen.Load() {
		return nil
	}
	if err := s.c.open(ctx); err != nil {
		return err
	}
	s.needOpen.Store(false)
	s.readLag(ctx)
	return nil
}

// failed records a failure to reach the queue and returns the next wait:
// the first failure after a success is logged at once, later ones at most
// every 30 seconds, so that a queue that stays down neither floods the
// log nor spins.
func (s *source) failed(ctx context.Context, op string, err error, delay time.Duration) time.Duration {
	if ctx.Err() != nil {
		return delay
	}
	s.st.pollErrors.Add(1)
	s.failMu.Lock()
	first := !s.failing
	s.failing = true
	s.failMu.Unlock()
	logIt := func() {
		s.log.Error("event source unavailable: retrying with backoff", zap.String("op", op), zap.Error(err))
	}
	if first {
		logIt()
	} else {
		s.warnFail.Do(logIt)
	}
	return min(backoffMax, max(backoffMin, delay*2))
}

// recovered logs the end of a run of failures.
func (s *source) recovered() {
	s.failMu.Lock()
	was := s.failing
	s.failing = false
	s.failMu.Unlock()
	if was {
		s.log.Info("event source available again")
	}
}

// watchLag refreshes the lag gauge until ctx is done.
func (s *source) watchLag(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(lagInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.needOpen.Load() {
			s.readLag(ctx)
		}
	}
}

// readLag reads the lag gauge from the queue; a failure leaves the last
// value.
func (s *source) readLag(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, lagInterval)
	defer cancel()
	if n, err := s.c.lag(ctx); err == nil {
		s.st.lag.Store(n)
	}
}

// sleep waits d, and reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter spreads d by ±20%, so that replicas that failed together do not
// retry together.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + time.Duration(rand.Int64N(int64(d)/5*2+1))
}

// errClosed is returned by Start after Close.
var errClosed = errors.New("eventsource: manager closed")
