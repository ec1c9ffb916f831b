package async

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/portico/portico/backend"
)

// ErrClosed is returned by Enqueue once Close has begun, and by Start after
// Close or a second Start.
var ErrClosed = errors.New("async: queue closed")

// Function is what the queue needs of one function of the config.
type Function struct {
	// Invoker runs the function.
	Invoker backend.Invoker
	// ARN is the function's unqualified ARN; its records name it qualified
	// with $LATEST.
	ARN string
	// Timeout bounds one invocation; zero: 15 minutes, Lambda's maximum.
	// The process backend enforces the function's own timeout; other
	// backends rely on this one.
	Timeout time.Duration
	// Config is the function's `async:` block; nil: Lambda's defaults.
	Config *Config
}

// maxTimeout is Lambda's longest function timeout.
const maxTimeout = 15 * time.Minute

// Bounds of the wait between attempts to reach a failing store, and of
// the wait of the promoter between looks at the retries of other replicas.
const (
	storeBackoffMin = 50 * time.Millisecond
	storeBackoffMax = 2 * time.Second
	promotePoll     = time.Second
	// storeWriteTimeout bounds the write that settles an invocation's
	// outcome, which runs even while the queue closes.
	storeWriteTimeout = 5 * time.Second
	// storeWriteAttempts is how often that write is tried before the event
	// is left to be delivered again.
	storeWriteAttempts = 5
)

// Queue runs the asynchronous invocations of a set of functions: Enqueue
// stores an event, workers take it from the store and invoke the function,
// and the outcome is retried, requeued, or sent to a destination as
// Lambda's asynchronous invocation does (docs/async.md). It is safe for
// concurrent use.
type Queue struct {
	s     Settings
	store Store
	log   *zap.Logger
	m     *metrics
	now   func() time.Time

	fns atomic.Pointer[functionSet]

	mu      sync.Mutex
	started bool
	closed  atomic.Bool
	// stopLoops stops the dispatcher and the promoter; stopInvokes
	// abandons the invocations in flight (Close's deadline).
	stopLoops   context.CancelFunc
	stopInvokes context.CancelFunc
	loops       sync.WaitGroup
	inflight    sync.WaitGroup

	slots chan struct{}
	// settled is signalled after each taken event is handled.
	settled chan struct{}
	// wake tells the promoter of a new retry.
	wake chan struct{}

	storeWarnings rate.Sometimes
}

// functionSet is the functions of one config, with their names in order.
type functionSet struct {
	m     map[string]Function
	names []string
}

// New returns a Queue on store; s is completed with its defaults. It does
// no I/O and starts nothing (see Start). log may be nil.
func New(s Settings, store Store, log *zap.Logger) *Queue {
	s.SetDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	if r, ok := store.(interface{ setClaimTimeout(time.Duration) }); ok {
		r.setClaimTimeout(s.ClaimTimeout)
	}
	q := &Queue{
		s: s, store: store, log: log, now: time.Now,
		slots:         make(chan struct{}, s.Workers),
		settled:       make(chan struct{}, 1),
		wake:          make(chan struct{}, 1),
		storeWarnings: rate.Sometimes{Interval: 10 * time.Second},
	}
	q.m = newMetrics(q)
	q.fns.Store(&functionSet{m: map[string]Function{}})
	return q
}

// SetFunctions replaces the functions the queue invokes: at start and on
// each reload. Events of a function no longer listed stay in the store,
// are not invoked, and are reported in the log with their count.
func (q *Queue) SetFunctions(fns map[string]Function) {
	set := &functionSet{m: make(map[string]Function, len(fns))}
	for name, f := range fns {
		set.m[name] = f
		set.names = append(set.names, name)
	}
	slices.Sort(set.names)
	q.fns.Store(set)
	ctx, cancel := context.WithTimeout(context.Background(), storeWriteTimeout)
	defer cancel()
	stats, err := q.store.Stats(ctx)
	if err != nil {
		q.log.Warn("async: cannot count the queued events", zap.Error(err))
		return
	}
	for name, st := range stats {
		if _, ok := set.m[name]; !ok {
			q.log.Warn("async: events of a function no longer configured stay queued, not invoked",
				zap.String("function", name), zap.Int("events", st.Depth))
		}
	}
}

// Enqueue stores an event for function under requestID (the id the
// caller answers with) and returns once it is stored: ErrUnknownFunction
// for a function SetFunctions did not give, ErrQueueFull when the memory
// store is full, ErrClosed once Close has begun, or the store's error
// (Redis unreachable). It copies requestID and payload.
func (q *Queue) Enqueue(ctx context.Context, function, requestID string, payload []byte) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if _, ok := q.fns.Load().m[function]; !ok {
		return ErrUnknownFunction
	}
	return q.store.Add(ctx, &Event{
		ID: strings.Clone(requestID), Function: function, Payload: bytes.Clone(payload), Accepted: q.now(),
	})
}

// Start starts the workers. ctx bounds the start only; Close stops what
// Start started. A Redis store that is down does not fail Start: the
// workers keep trying.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q.started = true
	loopCtx, stopLoops := context.WithCancel(context.Background())
	invokeCtx, stopInvokes := context.WithCancel(context.Background())
	q.stopLoops, q.stopInvokes = stopLoops, stopInvokes
	q.loops.Add(2)
	go q.dispatch(loopCtx, invokeCtx)
	go q.promote(loopCtx)
	return nil
}

// Close stops taking new events and lets the invocations in flight finish.
// With the memory store it keeps delivering what is queued until ctx is
// done; with Redis, queued events stay in Redis for the next start or
// another replica. At ctx's end the invocations still running are
// abandoned (their events stay in the store). It then logs the events
// left undelivered, by function, and returns ctx's error if it cut the
// drain short.
func (q *Queue) Close(ctx context.Context) error {
	q.closed.Store(true)
	q.mu.Lock()
	started := q.started
	q.started = true // a Start after Close fails
	q.mu.Unlock()
	var err error
	if started && q.stopLoops != nil {
		if _, memory := q.store.(*MemoryStore); memory {
			err = q.drain(ctx)
		}
		q.stopLoops()
		done := make(chan struct{})
		go func() { q.inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
			q.stopInvokes()
			<-done
		}
		q.stopInvokes()
		q.loops.Wait()
	}
	q.reportRemaining()
	return err
}

// drain waits until no configured function has an event in the store.
func (q *Queue) drain(ctx context.Context) error {
	for {
		stats, err := q.store.Stats(ctx)
		if err != nil {
			return err
		}
		left := false
		for name, st := range stats {
			if _, ok := q.fns.Load().m[name]; ok && st.Depth > 0 {
				left = true
			}
		}
		if !left {
			return nil
		}
		select {
		case <-q.settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reportRemaining logs the events left in the store, by function.
func (q *Queue) reportRemaining() {
	ctx, cancel := context.WithTimeout(context.Background(), storeWriteTimeout)
	defer cancel()
	stats, err := q.store.Stats(ctx)
	if err != nil {
		q.log.Warn("async: cannot count the events left", zap.Error(err))
		return
	}
	_, memory := q.store.(*MemoryStore)
	for name, st := range stats {
		if memory {
			q.log.Warn("async: events left undelivered (lost with the process)",
				zap.String("function", name), zap.Int("events", st.Depth))
		} else {
			q.log.Info("async: events left in Redis for the next start or another replica",
				zap.String("function", name), zap.Int("events", st.Depth))
		}
	}
}

// Stats is one function's queue: Depth events not yet delivered (waiting,
// being invoked, or waiting to retry), the oldest accepted OldestAge ago.
type Stats struct {
	Depth     int
	OldestAge time.Duration
}

// Stats reports each function that has events in the store, configured or
// not. With Redis it reads Redis.
func (q *Queue) Stats(ctx context.Context) (map[string]Stats, error) {
	st, err := q.store.Stats(ctx)
	if err != nil {
		return nil, err
	}
	now := q.now()
	out := make(map[string]Stats, len(st))
	for name, s := range st {
		out[name] = Stats{Depth: s.Depth, OldestAge: now.Sub(s.Oldest)}
	}
	return out, nil
}

// dispatch takes events as worker slots free up and runs each in its own
// goroutine, one slot each.
func (q *Queue) dispatch(ctx, invokeCtx context.Context) {
	defer q.loops.Done()
	backoff := storeBackoffMin
	for ctx.Err() == nil {
		select {
		case q.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < cap(q.slots) {
			select {
			case q.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		set := q.fns.Load()
		evs, err := q.store.Take(ctx, set.names, n)
		for range n - len(evs) {
			<-q.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			q.storeFailed("take", err)
			if sleepCtx(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, storeBackoffMax)
			continue
		}
		backoff = storeBackoffMin
		for _, e := range evs {
			f, ok := set.m[e.Function]
			if !ok {
				// Taken just before a reload removed its function: put it
				// back, where it waits for the function like the others.
				<-q.slots
				q.write(invokeCtx, e, "retry", func(ctx context.Context) error { return q.store.Retry(ctx, e, e.next(), q.now()) })
				continue
			}
			q.inflight.Add(1)
			go q.handle(invokeCtx, f, e)
		}
	}
}

// promote moves due retries back to their queues: when the next known one
// falls due, when this replica stores a retry, and every second for the
// retries other replicas stored.
func (q *Queue) promote(ctx context.Context) {
	defer q.loops.Done()
	backoff := storeBackoffMin
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-q.wake:
		case <-ctx.Done():
			return
		}
		wait := promotePoll
		next, err := q.store.Promote(ctx, q.fns.Load().names, q.now())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			q.storeFailed("promote", err)
			wait, backoff = backoff, min(2*backoff, storeBackoffMax)
		} else {
			backoff = storeBackoffMin
			if !next.IsZero() {
				wait = min(wait, max(next.Sub(q.now()), 0))
			}
		}
		timer.Reset(wait)
	}
}

func (q *Queue) storeFailed(op string, err error) {
	q.m.storeErrors.WithLabelValues(op).Inc()
	q.storeWarnings.Do(func() {
		q.log.Warn("async: store unavailable, retrying", zap.String("op", op), zap.Error(err))
	})
}
