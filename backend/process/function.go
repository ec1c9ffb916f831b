package process

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsdefault"
	"github.com/portico/portico/metering"
)

// Defaults, as on Lambda where it has one.
const (
	DefaultTimeout      = 3 * time.Second
	DefaultMemoryMB     = 128
	DefaultConcurrency  = 10
	DefaultIdleTimeout  = 5 * time.Minute
	DefaultQueueTimeout = 100 * time.Millisecond
	// InitTimeout bounds a runtime's initialisation (Lambda's on-demand limit).
	InitTimeout = 10 * time.Second
)

// Function runs one function's instances. New builds it, Start prepares its
// code and starts its background work, Close stops it. Safe for concurrent
// use.
type Function struct {
	name   string
	arn    string
	region string
	// cfg and prepare are what Start prepares the code and environment from.
	cfg     Config
	prepare PrepareOptions

	// Set by Start before ready, read only once ready is true.
	artifact Artifact
	env      []string // without AWS_LAMBDA_RUNTIME_API
	limiter  *memoryLimiter
	started  atomic.Bool // Start was called
	ready    atomic.Bool // Start succeeded: Invoke may run instances

	timeout      time.Duration
	idleTimeout  time.Duration
	queueTimeout time.Duration
	initTimeout  time.Duration
	memoryMB     int

	log   *zap.Logger
	meter *metering.Meter
	pool  pool
	seq   atomic.Uint64
	stats instanceStats // for Instances

	stopReaper chan struct{}
	closeOnce  sync.Once
	// background counts goroutines Close must wait for; bgMu and closing
	// keep one from being added once Close has started waiting.
	bgMu       sync.Mutex
	closing    bool
	background sync.WaitGroup
}

// spawn runs fn in a goroutine Close waits for; after Close it does
// nothing and reports false.
func (f *Function) spawn(fn func()) bool {
	f.bgMu.Lock()
	defer f.bgMu.Unlock()
	if f.closing {
		return false
	}
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		fn()
	}()
	return true
}

var (
	_ backend.Invoker = (*Function)(nil)
	_ backend.Starter = (*Function)(nil)
	_ backend.Closer  = (*Function)(nil)
)

// Option configures a Function.
type Option func(*options)

type options struct {
	log       *zap.Logger
	region    string
	accountID string
	prepare   PrepareOptions
	billing   metering.Config
}

// WithLogger sets the logger for instance output and lifecycle events.
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.log = l } }

// WithRegion sets AWS_REGION and the region in ARNs. Default: awsdefault.Region().
func WithRegion(r string) Option { return func(o *options) { o.region = r } }

// WithAccountID sets the account in ARNs. Default awsdefault.AccountID.
func WithAccountID(id string) Option { return func(o *options) { o.accountID = id } }

// WithBilling sets how the function's invocations are metered and priced
// (its REPORT lines, its Meter). Default: metering.Defaults().
func WithBilling(c metering.Config) Option { return func(o *options) { o.billing = c } }

// WithCacheDir sets where zip packages are unpacked and Go builds are kept.
func WithCacheDir(dir string) Option { return func(o *options) { o.prepare.CacheDir = dir } }

// New builds the function from cfg and does no I/O: its code is prepared
// and its instances started by Start. Paths in cfg must be absolute.
func New(name string, cfg *Config, opts ...Option) (*Function, error) {
	o := options{log: zap.NewNop(), accountID: awsdefault.AccountID}
	for _, opt := range opts {
		opt(&o)
	}
	if o.region == "" {
		o.region = awsdefault.Region()
	}
	memoryMB := orDefault(cfg.Memory, DefaultMemoryMB)
	return &Function{
		name:         name,
		arn:          awsdefault.FunctionARN(o.region, o.accountID, name),
		region:       o.region,
		cfg:          *cfg,
		prepare:      o.prepare,
		timeout:      orDefault(cfg.Timeout, DefaultTimeout),
		idleTimeout:  orDefault(cfg.IdleTimeout, DefaultIdleTimeout),
		queueTimeout: orDefault(cfg.QueueTimeout, DefaultQueueTimeout),
		initTimeout:  InitTimeout,
		memoryMB:     memoryMB,
		log:          o.log.With(zap.String("function", name)),
		meter:        metering.NewMeter(name, memoryMB, o.billing),
		pool:         pool{all: map[*instance]struct{}{}, max: orDefault(cfg.Concurrency, DefaultConcurrency), min: cfg.MinInstances},
		stopReaper:   make(chan struct{}),
	}, nil
}

// Start prepares the function's code (building or unpacking it if needed)
// within ctx, then starts its idle reaper and its minInstances, which
// outlive ctx until Close. It is called once, before the first Invoke.
func (f *Function) Start(ctx context.Context) error {
	if f.started.Swap(true) {
		return fmt.Errorf("function %s: started twice", f.name)
	}
	art, err := prepareConfig(ctx, &f.cfg, f.prepare, func(msg string) { f.log.Warn(msg) })
	if err != nil {
		return fmt.Errorf("function %s: %w", f.name, err)
	}
	f.artifact = art
	f.env = f.environ0(&f.cfg, f.region)
	f.limiter = sharedLimiter()
	if err := f.limiter.Available(); err != nil {
		f.log.Warn("memory limit not enforced", zap.Error(err))
	}
	if !f.spawn(f.reap) {
		return fmt.Errorf("function %s: %w", f.name, errClosed)
	}
	f.ready.Store(true)
	return nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// environ0 builds the environment every instance gets: Lambda's (HOME is
// not among its variables), then the inherited variables, then env.
func (f *Function) environ0(cfg *Config, region string) []string {
	handler := "bootstrap"
	switch rt, _ := parseRuntime(cfg.Runtime); {
	case cfg.Code != "" && cfg.Handler != "":
		handler = cfg.Handler // Lambda's handler setting
	case cfg.Code == "" && cfg.Handler != "" && rt.kind != kindLanguage:
		handler = filepath.Base(cfg.Handler)
	}
	var stream [16]byte
	_, _ = rand.Read(stream[:])
	env := map[string]string{
		"TZ":                       "UTC",
		"LANG":                     "en_US.UTF-8",
		"PATH":                     "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
	}
	rt, _ := parseRuntime(cfg.Runtime)
	if rt.kind == kindLanguage {
		// The language's search paths, which a function may override.
		rt.lang.env(rt, f.artifact.TaskRoot, f.artifact.RuntimeDir, env)
	}
	// Nothing of Portico's own environment (its credentials above all)
	// reaches a function unless inheritEnv names it.
	for _, k := range cfg.InheritEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	reserved := map[string]string{
		"_HANDLER":                        handler,
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_LAMBDA_FUNCTION_NAME":        f.name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.memoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(stream[:]),
		"LAMBDA_TASK_ROOT":                f.artifact.TaskRoot,
		"LAMBDA_RUNTIME_DIR":              cmp.Or(f.artifact.RuntimeDir, f.artifact.TaskRoot),
	}
	if rt.kind == kindLanguage {
		// Not set for custom runtimes (provided.*, and go, which runs as one).
		reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + rt.name
	}
	for k, v := range reserved {
		env[k] = v
	}
	out := make([]string, 0, len(env)+1)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// environ is the environment of one instance.
func (f *Function) environ(runtimeAPI string) []string {
	return append(append([]string(nil), f.env...), "AWS_LAMBDA_RUNTIME_API="+runtimeAPI)
}

// Invoke runs one invocation on an instance and appends its result to dst.
// Before Start it answers KindUnavailable with backend.ErrNotStarted.
func (f *Function) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	out, err := f.invoke(ctx, inv, dst)
	if err != nil {
		r, byFunction := err.(reported)
		if byFunction {
			err = r.FunctionError
		}
		f.stats.failed(err, byFunction, time.Now())
	}
	return out, err
}

func (f *Function) invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	if !f.ready.Load() {
		return dst, &backend.InvokeError{Kind: backend.KindUnavailable, Err: backend.ErrNotStarted}
	}
	for attempt := 0; ; attempt++ {
		in, err := f.pool.acquire(ctx, f.queueTimeout)
		if err != nil {
			return dst, err
		}
		if in == nil {
			if in, err = f.coldStart(ctx); err != nil {
				return dst, err
			}
		}
		if err := ctx.Err(); err != nil {
			// The gateway has answered already: do not run the function.
			f.pool.release(in)
			return dst, &backend.InvokeError{Kind: backend.KindTimeout, Err: err}
		}
		c := newCall(inv, f.timeout, time.Now())
		in.dispatch(c)
		select {
		case out := <-c.result:
			switch {
			case out.retry && attempt < 2:
				continue
			case out.retry:
				return dst, &backend.InvokeError{Kind: backend.KindUnavailable, Err: fmt.Errorf("instances exit before taking events")}
			case out.err != nil:
				return dst, out.err
			}
			return append(dst, out.payload...), nil
		case <-ctx.Done():
			// The instance finishes the call on its own; its result is dropped.
			return dst, &backend.InvokeError{Kind: backend.KindTimeout, Err: ctx.Err()}
		}
	}
}

// coldStart starts an instance on a slot the caller holds and waits for
// its runtime to initialise.
func (f *Function) coldStart(ctx context.Context) (*instance, error) {
	start := time.Now()
	f.stats.coldStarts.Add(1)
	f.stats.starting.Add(1)
	in, err := f.startInstance()
	if err != nil {
		f.stats.starting.Add(-1)
		f.pool.releaseSlot()
		f.log.Error("instance did not start", zap.Error(err))
		return nil, backend.NewFunctionError("Runtime.InvalidEntrypoint", err.Error())
	}
	in.mu.Lock()
	in.initPending = true
	in.mu.Unlock()
	if err := in.waitReady(ctx, f.initTimeout); err != nil {
		if backend.IsKind(err, backend.KindTimeout) {
			// The client gave up; the instance, starting still, joins the
			// pool once ready.
			if !f.spawn(func() {
				defer f.stats.starting.Add(-1)
				if in.waitReady(context.Background(), f.initTimeout) == nil {
					f.pool.release(in)
				}
			}) {
				f.stats.starting.Add(-1)
				in.stop()
			}
		} else {
			f.stats.starting.Add(-1)
			f.log.Warn("init failed", zap.String("instance", in.id), zap.Error(err))
		}
		return nil, err
	}
	f.stats.starting.Add(-1)
	f.log.Debug("cold start", zap.String("instance", in.id), zap.Duration("init", time.Since(start)))
	return in, nil
}

// reap stops instances idle past idleTimeout and keeps minInstances warm.
func (f *Function) reap() {
	every := min(max(f.idleTimeout/4, 10*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		f.warm()
		select {
		case <-f.stopReaper:
			return
		case now := <-t.C:
			for _, in := range f.pool.expired(now.Add(-f.idleTimeout)) {
				f.log.Debug("stopping idle instance", zap.String("instance", in.id))
				if !f.spawn(in.stop) {
					in.stop()
				}
			}
		}
	}
}

// warm starts the instances missing below minInstances.
func (f *Function) warm() {
	for n := f.pool.deficit(); n > 0; n-- {
		in, err := f.startInstance()
		if err != nil {
			f.pool.releaseSlot()
			f.log.Error("warm instance did not start", zap.Error(err))
			continue
		}
		f.stats.starting.Add(1)
		if !f.spawn(func() {
			defer f.stats.starting.Add(-1)
			if err := in.waitReady(context.Background(), f.initTimeout); err != nil {
				f.log.Warn("warm instance failed init", zap.Error(err))
				return
			}
			f.pool.release(in)
		}) {
			f.stats.starting.Add(-1)
			in.stop()
		}
	}
}

// Meter is the function's meter: what its invocations were billed, and
// would cost on Lambda, since it was built.
func (f *Function) Meter() *metering.Meter { return f.meter }

// Stats reports the instances running (or starting) and idle.
func (f *Function) Stats() (running, idle int) { return f.pool.stats() }

// Close stops the reaper and every instance: SIGTERM, then SIGKILL after
// stopGrace. It returns when all have exited, in every caller: it is safe
// to call more than once, from several goroutines, and without Start; a
// Start after Close fails.
func (f *Function) Close() error {
	f.closeOnce.Do(func() {
		close(f.stopReaper)
		f.bgMu.Lock()
		f.closing = true
		f.bgMu.Unlock()
		var wg sync.WaitGroup
		for _, in := range f.pool.close() {
			wg.Add(1)
			go func() { defer wg.Done(); in.stop() }()
		}
		wg.Wait()
		f.background.Wait()
	})
	return nil
}
