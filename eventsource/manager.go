package eventsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsdefault"
)

// Function is what the manager needs of one function of the config.
type Function struct {
	// Invoker runs the function.
	Invoker backend.Invoker
	// Concurrency caps the pollers of each source of the function, and so
	// its concurrent invocations from that source; zero: 10.
	Concurrency int
	// Timeout bounds one invocation; zero: 15 minutes, Lambda's maximum.
	Timeout time.Duration
}

// Option configures a Manager.
type Option func(*Manager)

// WithLogger sets the logger; default zap.NewNop().
func WithLogger(log *zap.Logger) Option { return func(m *Manager) { m.log = log } }

// WithAccount sets the account of the ARNs the manager makes up (Redis
// sources, SQS queues whose URL names none); default
// awsdefault.AccountID.
func WithAccount(id string) Option { return func(m *Manager) { m.account = id } }

// WithRegion sets the region of Redis records and of SQS sources whose
// config and AWS SDK name none; default awsdefault.Region().
func WithRegion(region string) Option { return func(m *Manager) { m.region = region } }

// WithConsumerName sets the name of this process in Redis consumer
// groups; default HOSTNAME-PID.
func WithConsumerName(name string) Option { return func(m *Manager) { m.consumerName = name } }

// Manager runs the pollers of every event source of the config. Build it
// with New (no I/O), run it with Start, swap its sources with Set on a
// reload, stop it with Close. It is safe for concurrent use.
type Manager struct {
	log          *zap.Logger
	account      string
	region       string
	consumerName string
	rdb          *redis.Client
	col          *collector

	mu        sync.Mutex
	sources   map[string]*source // by Config.key
	stopping  map[*source]struct{}
	started   bool
	closed    bool
	pollCtx   context.Context
	stopPoll  context.CancelFunc
	invokeCtx context.Context
	stopInv   context.CancelFunc
}

// New builds a manager for sources, invoking functions by name; rdb is
// the Redis of type redis sources (nil: such a source is an error). It
// does no I/O. Each source must pass Validate; New reports a source that
// names an unknown function, a redis source without rdb, and the same
// source twice.
func New(sources []Config, functions map[string]Function, rdb *redis.Client, opts ...Option) (*Manager, error) {
	m := &Manager{log: zap.NewNop(), account: awsdefault.AccountID, rdb: rdb, stopping: map[*source]struct{}{}}
	for _, o := range opts {
		o(m)
	}
	if m.region == "" {
		m.region = awsdefault.Region()
	}
	if m.consumerName == "" {
		host, _ := os.Hostname()
		m.consumerName = host + "-" + strconv.Itoa(os.Getpid())
	}
	m.log = m.log.Named("eventsource")
	m.col = newCollector(m)
	built, err := m.build(sources, functions, nil)
	if err != nil {
		return nil, err
	}
	m.sources = built
	return m, nil
}

// build makes the sources of a config; those whose key is in keep are
// reused (with their function updated by the caller).
func (m *Manager) build(sources []Config, functions map[string]Function, keep map[string]*source) (map[string]*source, error) {
	var errs []error
	out := make(map[string]*source, len(sources))
	for i, cfg := range sources {
		where := fmt.Sprintf("eventSources[%d]", i)
		if verrs := cfg.Validate(); len(verrs) > 0 {
			errs = append(errs, fmt.Errorf("%s: %w", where, errors.Join(verrs...)))
			continue
		}
		fn, ok := functions[cfg.Function]
		if !ok || fn.Invoker == nil {
			errs = append(errs, fmt.Errorf("%s.function: no function %q", where, cfg.Function))
			continue
		}
		k := cfg.key()
		if _, dup := out[k]; dup {
			errs = append(errs, fmt.Errorf("%s: the same source as an earlier entry", where))
			continue
		}
		if s, ok := keep[k]; ok {
			out[k] = s
			continue
		}
		s := newSource(cfg, fn, m.log)
		switch cfg.Type {
		case TypeSQS:
			s.c = newSQSConsumer(&s.cfg, m.region, m.account)
		case TypeRedis:
			if m.rdb == nil {
				errs = append(errs, fmt.Errorf("%s.type: redis needs the config's redis", where))
				continue
			}
			s.c = newRedisConsumer(&s.cfg, m.rdb, &s.st, m.consumerName, m.region, m.account)
		}
		out[k] = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Set replaces the sources and functions, as a reload does: a source
// whose config is unchanged keeps its pollers and consumer state and
// invokes the function's new Invoker from its next batch; a removed
// source stops polling and finishes its in-flight batches; a new one
// starts if the manager is running. On error nothing changes.
func (m *Manager) Set(sources []Config, functions map[string]Function) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	next, err := m.build(sources, functions, m.sources)
	if err != nil {
		return err
	}
	for k, s := range m.sources {
		if next[k] != s {
			m.retire(s)
		}
	}
	for k, s := range next {
		fn := functions[s.cfg.Function]
		s.fn.Store(&fn)
		if m.started && m.sources[k] != s {
			s.start(m.pollCtx, m.invokeCtx)
		}
	}
	m.sources = next
	return nil
}

// retire stops a source that a reload removed, keeping it for Close
// until its in-flight batches end. m.mu is held.
func (m *Manager) retire(s *source) {
	if s.stop == nil {
		return
	}
	s.stop()
	m.stopping[s] = struct{}{}
	go func() {
		<-s.done
		m.mu.Lock()
		delete(m.stopping, s)
		m.mu.Unlock()
	}()
}

// Start starts every source's pollers. Queues and streams that cannot be
// reached are logged and retried with backoff, so Start itself does no
// I/O and returns nil; ctx is not used past it. Start after Close is an
// error; a second Start does nothing.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	if m.started {
		return nil
	}
	m.started = true
	m.pollCtx, m.stopPoll = context.WithCancel(context.Background())
	m.invokeCtx, m.stopInv = context.WithCancel(context.Background())
	for _, s := range m.sources {
		s.start(m.pollCtx, m.invokeCtx)
	}
	return nil
}

// Close stops polling and waits for the in-flight batches: a batch whose
// invocation ends in time is settled (deleted, or left for redelivery);
// when ctx ends first, the invocations still running are cancelled and
// their batches left for redelivery, whole, and Close returns ctx's
// error. Messages received but not yet invoked are left for redelivery.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed || !m.started {
		m.closed = true
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.stopPoll()
	var all []*source
	for _, s := range m.sources {
		all = append(all, s)
	}
	for s := range m.stopping {
		all = append(all, s)
	}
	m.mu.Unlock()

	wait := func(ctx context.Context) error {
		for _, s := range all {
			select {
			case <-s.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	err := wait(ctx)
	m.stopInv()
	if err != nil {
		// Cancelled invocations return promptly; their batches are not
		// deleted. The bound covers an invoker that ignores ctx.
		wctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		wait(wctx)
	}
	return err
}

// current returns the sources now configured, for a scrape.
func (m *Manager) current() []*source {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*source, 0, len(m.sources))
	for _, s := range m.sources {
		out = append(out, s)
	}
	return out
}
