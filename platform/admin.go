package platform

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/admin"
	"github.com/portico/portico/backend/process"
	"github.com/portico/portico/gateway"
)

// adminSource is what the admin page shows of a served platform: the
// Platform serving now, which each reload replaces as the new one takes
// over (before the old one drains), and the reloads. It implements
// admin.Source.
type adminSource struct {
	current atomic.Pointer[Platform]
	// reloads carries the page's reload requests to Serve's loop, which
	// reloads as it does on SIGHUP and answers on the channel sent.
	reloads chan chan admin.ConfigState
	// stopped is closed when Serve returns: no reload will be answered.
	stopped chan struct{}
	// serving is the server, set before the sampler starts: its gateway's
	// series are those of the gateway serving, swapped in the same instant
	// as it.
	serving *gateway.Server

	mu    sync.Mutex
	state admin.ConfigState
}

var _ admin.Source = (*adminSource)(nil)

func newAdminSource(p *Platform, now time.Time) *adminSource {
	s := &adminSource{reloads: make(chan chan admin.ConfigState), stopped: make(chan struct{})}
	s.current.Store(p)
	s.state = admin.ConfigState{File: p.cfg.file, LoadedAt: now}
	return s
}

// reloaded records the outcome of a reload: next serves (current took it
// when it took over), or err refused it.
func (s *adminSource) reloaded(next *Platform, err error, now time.Time) admin.ConfigState {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &admin.Reload{At: now, OK: err == nil}
	if err != nil {
		r.Problems = strings.Split(err.Error(), "\n")
	} else {
		s.state.File, s.state.LoadedAt = next.cfg.file, now
	}
	s.state.LastReload = r
	return s.state
}

func (s *adminSource) Config() admin.ConfigState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Reload asks Serve's loop to reload and waits for the outcome.
func (s *adminSource) Reload(ctx context.Context) admin.ConfigState {
	reply := make(chan admin.ConfigState, 1)
	select {
	case s.reloads <- reply:
	case <-s.stopped:
		return s.Config()
	case <-ctx.Done():
		return s.Config()
	}
	select {
	case st := <-reply:
		return st
	case <-s.stopped:
		return s.Config()
	case <-ctx.Done():
		return s.Config()
	}
}

func (s *adminSource) Routes() []admin.Route {
	p := s.current.Load()
	infos := p.cfg.RouteInfos()
	out := make([]admin.Route, len(infos))
	for i, r := range infos {
		out[i] = admin.Route{Route: r.Key, Function: r.Function, Backend: r.Backend, Payload: r.Payload,
			Authorizer: r.Auth, Throttle: r.Limits, TimeoutMS: r.Timeout.Milliseconds()}
	}
	return out
}

// Functions reads the async queue's depths with a bound: with Redis, the
// page must not hang on a slow store.
func (s *adminSource) Functions(ctx context.Context) []admin.Function {
	p := s.current.Load()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	queued, _ := p.services.queue.Stats(ctx)
	out := make([]admin.Function, 0, len(p.functions))
	for _, name := range slices.Sorted(maps.Keys(p.functions)) {
		fn := p.functions[name]
		f := admin.Function{Name: name, Backend: fn.spec.Backend, Runtime: fn.spec.Describe().Runtime,
			AsyncDepth: queued[name].Depth}
		if q := queued[name]; q.Depth > 0 {
			f.AsyncOldestMS = q.OldestAge.Milliseconds()
		}
		if pf, ok := fn.invoker.(interface{ Instances() process.Instances }); ok {
			in := pf.Instances()
			f.Instances = &admin.Instances{Starting: in.Starting, Idle: in.Idle, Busy: in.Busy}
			f.ColdStarts = in.ColdStarts
			if le := in.LastError; le != nil {
				f.LastError = &admin.LastError{At: le.At, Type: le.Type, Message: le.Message}
			}
		}
		if m, ok := fn.invoker.(metered); ok {
			cost := m.Meter().Totals().Cost
			f.CostUSD = &cost
		}
		out = append(out, f)
	}
	return out
}

func (s *adminSource) Schedules() []admin.Schedule {
	p := s.current.Load()
	out := make([]admin.Schedule, 0, len(p.cfg.Schedules))
	for _, sc := range p.cfg.Schedules {
		a := admin.Schedule{Name: sc.Name, Function: sc.Function, Expression: sc.Expression, Timezone: sc.Timezone}
		if next := p.services.scheduler.Next(sc.Name, 1); len(next) > 0 {
			a.Next = &next[0]
		}
		out = append(out, a)
	}
	return out
}

func (s *adminSource) RouteMetrics() prometheus.Gatherer {
	return s.serving.RouteMetrics()
}

// Target is the public listener, which a reload keeps, and the longest a
// request within the limits may take.
func (s *adminSource) Target() (string, time.Duration) {
	p := s.current.Load()
	return p.cfg.Listen, p.cfg.Limits.DrainTimeout
}
