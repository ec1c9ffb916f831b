package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.uber.org/zap"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/invokeapi"
)

// Direct is one function of a config started alone, with the functions
// its async destinations name, for a direct call (`portico invoke`):
// nothing else of the config is built or served. Its calls take the Invoke
// API's code path, unserved: RequestResponse runs the function, Event
// queues the event — in Redis when the config has one, for the replicas
// that serve it; otherwise in memory, delivered by this process until
// Close — and DryRun only checks.
type Direct struct {
	p *Platform
}

// StartDirect builds and starts the function name of cfg (and its
// destinations) alone.
func StartDirect(ctx context.Context, cfg *Config, name string, log *zap.Logger) (*Direct, error) {
	if cfg.Functions[name] == nil {
		return nil, fmt.Errorf("%w: %q", backend.ErrFunctionNotFound, name)
	}
	if log == nil {
		log = zap.NewNop()
	}
	p := &Platform{cfg: cfg, log: log, functions: map[string]*function{}}
	for _, n := range destinationClosure(cfg, name) {
		fn, err := p.buildFunction(n, nil)
		if err != nil {
			p.closeOwnFunctions()
			return nil, err
		}
		p.functions[n] = fn
	}
	s, err := newServices(cfg, log)
	if err != nil {
		p.closeOwnFunctions()
		return nil, err
	}
	if s.invoke == nil {
		s.invoke = invokeapi.New(&invokeapi.Config{}, nil, s.queue, invokeapi.WithLogger(log), invokeapi.WithAccount(cfg.AccountID))
	}
	// With Redis the serving replicas deliver: this process only stores.
	s.started = s.redis != nil
	p.services = s
	for _, n := range slices.Sorted(maps.Keys(p.functions)) {
		fn := p.functions[n]
		if st, ok := fn.invoker.(backend.Starter); ok {
			if err := st.Start(ctx); err != nil {
				return nil, errors.Join(fmt.Errorf("function %s: %w", n, err), (&Direct{p}).Close(context.Background()))
			}
		}
		fn.started = true
	}
	if err := s.use(ctx, p, nil, nil); err != nil { // a direct call fires no schedule, polls no queue
		return nil, errors.Join(err, (&Direct{p}).Close(context.Background()))
	}
	return &Direct{p: p}, nil
}

// destinationClosure is name and every function its destinations lead to.
func destinationClosure(cfg *Config, name string) []string {
	seen := map[string]bool{}
	todo := []string{name}
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		fn := cfg.Functions[n]
		if seen[n] || fn == nil {
			continue
		}
		seen[n] = true
		if a := fn.Async; a != nil {
			for _, d := range []*async.Destination{a.OnSuccess, a.OnFailure} {
				if d != nil {
					todo = append(todo, d.Function)
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Invoke calls as the Invoke API does.
func (d *Direct) Invoke(ctx context.Context, c invokeapi.Call) (invokeapi.Result, *invokeapi.Error) {
	return d.p.services.invoke.Invoke(ctx, c)
}

// Close delivers what the in-memory queue holds within ctx (logging what
// it could not), then stops the functions.
func (d *Direct) Close(ctx context.Context) error {
	return errors.Join(d.p.services.close(ctx), d.p.closeOwnFunctions())
}
