package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/kind"
	"github.com/portico/portico/gateway"
	"github.com/portico/portico/metering"
	"github.com/portico/portico/ratelimit"
)

// Platform is the running whole of one config: its functions and the
// gateway that routes to them. Build it with New, then Start it; Close
// stops everything.
type Platform struct {
	cfg       *Config
	log       *zap.Logger
	override  func(*Config)           // applied to each config a reload loads
	load      func() (*Config, error) // what a reload loads; nil: the config's file
	tolerant  bool                    // a function that cannot start is logged and left unavailable
	functions map[string]*function
	gateway   *gateway.Gateway
	services  *services // shared with the Platforms a reload builds
}

// function is one built function. A reload hands unchanged functions on,
// warm, to the next Platform: inherited marks them there, handed here.
type function struct {
	spec      *kind.Function
	invoker   backend.Invoker
	limiter   *ratelimit.ConcurrencyLimiter // the kind's concurrency cap, shared by every way in; nil: none
	code      string                        // the code's fingerprint when it started, if the kind has one
	started   bool
	inherited bool // taken over from the previous Platform
	handed    bool // taken over by the next Platform: not ours to close
	// flights counts its Invoke API and async invocations running.
	flights inflight
}

// Option configures a Platform.
type Option func(*Platform)

// WithLogger sets the logger of the gateway and the functions. Default:
// discard.
func WithLogger(l *zap.Logger) Option { return func(p *Platform) { p.log = l } }

// WithUnstartedFunctions makes Start log a function that cannot start (its
// interpreter missing, say) and go on without it: its invocations answer
// as unavailable. For the quickstart, which must serve on a machine that
// lacks some runtime; a user's config is strict by default.
func WithUnstartedFunctions() Option { return func(p *Platform) { p.tolerant = true } }

// WithLoader sets how a reload loads the config again, for a config that is
// not a file of its own (`serve --template` imports the template anew).
// Default: Load of the config's file.
func WithLoader(load func() (*Config, error)) Option { return func(p *Platform) { p.load = load } }

// WithOverride sets what to change in each config a reload loads, as the
// caller changed the first one (command-line flags over the file).
func WithOverride(fn func(*Config)) Option { return func(p *Platform) { p.override = fn } }

// New builds every function of cfg and the gateway in front of them,
// without I/O.
func New(cfg *Config, opts ...Option) (*Platform, error) {
	return build(cfg, nil, opts)
}

// build is New, taking over the functions of prev whose config is unchanged.
func build(cfg *Config, prev *Platform, opts []Option) (*Platform, error) {
	p := &Platform{cfg: cfg, log: zap.NewNop(), functions: make(map[string]*function, len(cfg.Functions))}
	for _, o := range opts {
		o(p)
	}
	if prev != nil {
		p.services = prev.services
	} else {
		s, err := newServices(cfg, p.log)
		if err != nil {
			return nil, err
		}
		p.services = s
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Functions)) {
		fn, err := p.buildFunction(name, prev)
		if err != nil {
			p.closeOwnFunctions()
			p.services.discard(prev)
			return nil, err
		}
		p.functions[name] = fn
	}
	set := make(map[string]gateway.Function, len(p.functions))
	for name, fn := range p.functions {
		set[name] = gateway.Function{Invoker: fn.capped(), Backend: fn.spec.Backend}
	}
	collectors := []prometheus.Collector{p.services.queue.Collector(), p.services.scheduler.Collector(), p.services.sources.Collector(),
		metering.Collector(p.meters)}
	if p.services.invoke != nil {
		collectors = append(collectors, p.services.invoke.Collector())
	}
	g, err := gateway.New(&cfg.Config, set, gateway.WithLogger(p.log), gateway.WithCollectors(collectors...))
	if err != nil {
		p.closeOwnFunctions()
		p.services.discard(prev)
		return nil, err
	}
	p.gateway = g
	return p, nil
}

// buildFunction builds the function name, or takes prev's over when its
// config is the same.
func (p *Platform) buildFunction(name string, prev *Platform) (*function, error) {
	spec := p.cfg.Functions[name]
	if prev != nil {
		if old := prev.functions[name]; old != nil && old.started && reflect.DeepEqual(old.spec, spec) &&
			prev.cfg.AccountID == p.cfg.AccountID && prev.cfg.Billing == p.cfg.Billing && sameCode(old) {
			return &function{spec: spec, invoker: old.invoker, limiter: old.limiter, code: old.code, started: true, inherited: true}, nil
		}
	}
	inv, err := spec.Build(name, kind.Options{Log: p.log, AccountID: p.cfg.AccountID, Billing: p.cfg.Billing})
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	fn := &function{spec: spec, invoker: inv}
	if n := spec.Concurrency(); n > 0 {
		fn.limiter = ratelimit.NewConcurrencyLimiter(n)
	}
	return fn, nil
}

// Start does the I/O the functions and the gateway need before serving:
// builds and unpacks code, warms minInstances, fetches JWKS; then the
// Invoke API and the async queue take the functions, and the queue's
// workers start.
func (p *Platform) Start(ctx context.Context) error {
	for _, name := range slices.Sorted(maps.Keys(p.functions)) {
		fn := p.functions[name]
		if fn.started {
			continue
		}
		fn.code, _ = codeFingerprint(fn.invoker)
		if s, ok := fn.invoker.(backend.Starter); ok {
			if err := s.Start(ctx); err != nil {
				if !p.tolerant {
					return fmt.Errorf("function %s: %w", name, err)
				}
				p.log.Error("function not started: its invocations answer as unavailable", zap.String("function", name), zap.Error(err))
				continue
			}
		}
		fn.started = true
	}
	if err := p.gateway.Start(ctx); err != nil {
		return err
	}
	return p.services.use(ctx, p, p.cfg.Schedules, p.cfg.EventSources)
}

// Gateway is the gateway in front of the functions.
func (p *Platform) Gateway() *gateway.Gateway { return p.gateway }

// Config is the config p was built from.
func (p *Platform) Config() *Config { return p.cfg }

// Close stops the gateway's authorizers and rate-limit store, drains the
// async queue (within limits.drainTimeout: with the memory store, queued
// events are delivered until then and the rest are logged; with Redis they
// stay there), and closes every function p owns. After a reload, close the
// Platform Reload returned, not the one it replaced: Reload has closed
// what that one kept.
func (p *Platform) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Limits.DrainTimeout)
	defer cancel()
	return errors.Join(p.gateway.Close(), p.services.close(ctx), p.closeFunctions(func(fn *function) bool { return !fn.handed }))
}

// closeOwnFunctions closes what p built itself, leaving the functions it
// took over from its predecessor, which still serves them.
func (p *Platform) closeOwnFunctions() error {
	return p.closeFunctions(func(fn *function) bool { return !fn.inherited })
}

// discard closes a Platform that never served: its gateway and the
// functions it built itself.
func (p *Platform) discard() error {
	return errors.Join(p.gateway.Close(), p.closeOwnFunctions())
}

func (p *Platform) closeFunctions(close func(*function) bool) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.functions)) {
		fn := p.functions[name]
		if !close(fn) {
			continue
		}
		if c, ok := fn.invoker.(backend.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("function %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// codeFingerprint identifies the code of an invoker that runs code from
// disk (see process.Function.CodeFingerprint); "" for the others.
func codeFingerprint(inv backend.Invoker) (string, bool) {
	f, ok := inv.(interface{ CodeFingerprint() (string, error) })
	if !ok {
		return "", true
	}
	code, err := f.CodeFingerprint()
	return code, err == nil
}

// sameCode reports whether fn's code on disk is still what it started with;
// code that cannot be read now counts as changed, so fn is rebuilt.
func sameCode(fn *function) bool {
	code, ok := codeFingerprint(fn.invoker)
	return ok && code == fn.code
}
