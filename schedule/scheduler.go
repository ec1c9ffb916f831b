package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/portico/portico/internal/awsdefault"
	"github.com/portico/portico/internal/awsid"
)

// Enqueuer accepts an asynchronous invocation: async.Queue. The payload
// is the caller's; Enqueue copies what it keeps.
type Enqueuer interface {
	Enqueue(ctx context.Context, function, requestID string, payload []byte) error
}

// Clock is the time a Scheduler reads and waits on; tests pass a fake
// that they advance.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Option configures New.
type Option func(*Scheduler)

// WithLogger sets the logger; default zap.NewNop().
func WithLogger(l *zap.Logger) Option { return func(s *Scheduler) { s.log = l } }

// WithClock sets the clock; default the system's.
func WithClock(c Clock) Option { return func(s *Scheduler) { s.clock = c } }

// WithAccount sets the account of the event and its rule ARN; default
// awsdefault.AccountID.
func WithAccount(id string) Option { return func(s *Scheduler) { s.account = id } }

// WithRegion sets the region of the event and its rule ARN; default
// awsdefault.Region().
func WithRegion(r string) Option { return func(s *Scheduler) { s.region = r } }

// ErrClosed is returned by Start after Close or a second Start.
var ErrClosed = errors.New("schedule: scheduler closed")

const (
	// lockTTL is how long a tick's lock outlives the tick: replicas whose
	// clocks differ by less than this never fire one tick twice.
	lockTTL = 10 * time.Minute
	// lockPrefix starts every lock key: portico:schedule:NAME:UNIXSECONDS.
	lockPrefix = "portico:schedule:"
	// fireTimeout bounds the lock and the enqueue of one tick.
	fireTimeout = 5 * time.Second
	// maxWait is the longest wait before the clock is read again, so
	// that a suspended machine or a stepped clock is noticed within it.
	maxWait = time.Minute
	// maxGrace is how late a tick may still fire: EventBridge fires
	// within the scheduled minute.
	maxGrace = time.Minute
)

// Scheduler fires each schedule's ticks through an Enqueuer, taking a
// Locker's lock per tick so that, with a shared lock, one replica fires
// each tick. It is safe for concurrent use.
type Scheduler struct {
	enq     Enqueuer
	lock    Locker
	log     *zap.Logger
	clock   Clock
	account string
	region  string
	m       *metrics
	// lockDown is set while the lock store fails, so an outage is
	// logged once.
	lockDown atomic.Bool

	mu      sync.Mutex
	jobs    map[string]*job
	started bool
	closed  bool
	ctx     context.Context // the jobs'; cancelled by Close
	cancel  context.CancelFunc
}

// job is one schedule, compiled, and the goroutine that runs it.
type job struct {
	cfg     Config
	key     string // what Set compares: the config, its input as JSON
	expr    Expression
	loc     *time.Location
	input   []byte // nil: the Scheduled Event
	ruleARN string
	grace   time.Duration
	stop    context.CancelFunc
	done    chan struct{}
}

// New returns a Scheduler for schedules that starts nothing: Start does.
// lock nil is a LocalLocker (every tick fires here). The error lists
// every invalid schedule and any name used twice.
func New(schedules []Config, enq Enqueuer, lock Locker, opts ...Option) (*Scheduler, error) {
	if enq == nil {
		return nil, errors.New("schedule: no Enqueuer")
	}
	s := &Scheduler{enq: enq, lock: lock, log: zap.NewNop(), clock: realClock{},
		account: awsdefault.AccountID, m: newMetrics()}
	for _, o := range opts {
		o(s)
	}
	if s.lock == nil {
		s.lock = NewLocalLocker()
	}
	if s.region == "" {
		s.region = awsdefault.Region()
	}
	jobs, err := s.compile(schedules)
	if err != nil {
		return nil, err
	}
	s.jobs = jobs
	return s, nil
}

// compile checks and compiles schedules.
func (s *Scheduler) compile(schedules []Config) (map[string]*job, error) {
	var errs []error
	jobs := make(map[string]*job, len(schedules))
	for i := range schedules {
		c := schedules[i]
		if problems := c.Validate(); len(problems) > 0 {
			for _, p := range problems {
				errs = append(errs, fmt.Errorf("schedule %q: %w", c.Name, p))
			}
			continue
		}
		if _, dup := jobs[c.Name]; dup {
			errs = append(errs, fmt.Errorf("schedule %q: name used twice", c.Name))
			continue
		}
		expr, _ := Parse(c.Expression)
		loc, _ := c.Location()
		input, _ := c.payload()
		grace := maxGrace
		if p := expr.Period(); p > 0 && p < grace {
			grace = p
		}
		jobs[c.Name] = &job{
			cfg: c, expr: expr, loc: loc, input: input, grace: grace,
			key:     c.Name + "\x00" + c.Function + "\x00" + c.Expression + "\x00" + c.Timezone + "\x00" + string(input),
			ruleARN: RuleARN(s.region, s.account, c.Name),
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return jobs, nil
}

// Set replaces the schedules, for a config reload: a schedule whose name,
// function, expression, input and time zone are unchanged keeps running
// and keeps its next tick; a changed one starts again from now; a removed
// one stops. An invalid set changes nothing.
func (s *Scheduler) Set(schedules []Config) error {
	jobs, err := s.compile(schedules)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, old := range s.jobs {
		if nj, ok := jobs[name]; ok && nj.key == old.key {
			jobs[name] = old
			continue
		}
		s.stopJob(old)
	}
	if s.started && !s.closed {
		for _, j := range jobs {
			if j.done == nil {
				s.startJob(j)
			}
		}
	}
	s.jobs = jobs
	return nil
}

// Start starts a goroutine per schedule. ctx bounds the start only; Close
// stops what Start started.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, j := range s.jobs {
		s.startJob(j)
	}
	return nil
}

// Close stops every schedule and waits for them; a tick being fired is
// abandoned (its lock taken, its event perhaps not enqueued).
func (s *Scheduler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	for _, j := range s.jobs {
		s.stopJob(j)
	}
	return nil
}

// Collector returns the Scheduler's metrics, for the registry of /metrics.
func (s *Scheduler) Collector() prometheus.Collector { return s.m }

// Next returns the next n ticks of the schedule name after now, on its
// time zone's clock; nil for an unknown name.
func (s *Scheduler) Next(name string, n int) []time.Time {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	ticks, _ := j.cfg.Next(s.clock.Now(), n)
	return ticks
}

// startJob and stopJob are called with s.mu held.
func (s *Scheduler) startJob(j *job) {
	ctx, stop := context.WithCancel(s.ctx)
	j.stop, j.done = stop, make(chan struct{})
	go s.run(ctx, j)
}

func (s *Scheduler) stopJob(j *job) {
	if j.done == nil {
		return
	}
	j.stop()
	<-j.done
}

// run fires j's ticks until ctx ends or the expression has no more.
func (s *Scheduler) run(ctx context.Context, j *job) {
	defer close(j.done)
	name := j.cfg.Name
	next := j.expr.Next(s.clock.Now(), j.loc)
	missed := 0
	for !next.IsZero() && ctx.Err() == nil {
		now := s.clock.Now()
		if wait := next.Sub(now); wait > 0 {
			if missed > 0 {
				s.log.Warn("schedule ticks missed: not fired late",
					zap.String("schedule", name), zap.Int("ticks", missed))
				missed = 0
			}
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(min(wait, maxWait)):
			}
			continue
		}
		// next is due. If a later tick is due as well, or next is more
		// than its grace late, it came due while this replica was not
		// running (or asleep): it is not fired late.
		if later := j.expr.Next(next, j.loc); (!later.IsZero() && !later.After(now)) || now.Sub(next) >= j.grace {
			s.m.skips.WithLabelValues(name, SkipMissed).Inc()
			missed++
			next = later
			continue
		}
		s.fire(ctx, j, next)
		next = j.expr.Next(next, j.loc)
	}
	if next.IsZero() {
		s.log.Info("schedule has no more ticks", zap.String("schedule", name))
	}
}

// fire takes tick's lock and, holding it, enqueues the function's event.
func (s *Scheduler) fire(ctx context.Context, j *job, tick time.Time) {
	name := j.cfg.Name
	fctx, cancel := context.WithTimeout(ctx, fireTimeout)
	defer cancel()
	key := lockPrefix + name + ":" + strconv.FormatInt(tick.Unix(), 10)
	ok, err := s.lock.Acquire(fctx, key, lockTTL)
	if err != nil {
		if ctx.Err() != nil {
			return // closing
		}
		s.m.skips.WithLabelValues(name, SkipLockError).Inc()
		if s.lockDown.CompareAndSwap(false, true) {
			s.log.Warn("schedule lock unavailable: ticks are skipped until it answers",
				zap.String("schedule", name), zap.Time("tick", tick), zap.Error(err))
		}
		return
	}
	if s.lockDown.CompareAndSwap(true, false) {
		s.log.Info("schedule lock available again", zap.String("schedule", name))
	}
	if !ok {
		s.m.skips.WithLabelValues(name, SkipHeld).Inc()
		return
	}
	payload := j.input
	if payload == nil {
		payload = AppendEvent(make([]byte, 0, 320), awsid.NewUUID(), tick, s.account, s.region, j.ruleARN)
	}
	requestID := awsid.NewUUID()
	if err := s.enq.Enqueue(fctx, j.cfg.Function, requestID, payload); err != nil {
		s.m.failures.WithLabelValues(name).Inc()
		s.log.Error("schedule tick not enqueued", zap.String("schedule", name),
			zap.String("function", j.cfg.Function), zap.Time("tick", tick), zap.Error(err))
		return
	}
	s.m.fires.WithLabelValues(name).Inc()
	s.log.Debug("schedule fired", zap.String("schedule", name), zap.String("function", j.cfg.Function),
		zap.String("request_id", requestID), zap.Time("tick", tick))
}
