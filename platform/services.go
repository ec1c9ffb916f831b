package platform

import (
	"context"
	"errors"
	"os"
	"reflect"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/eventsource"
	"github.com/portico/portico/internal/awsdefault"
	"github.com/portico/portico/invokeapi"
	"github.com/portico/portico/ratelimit"
	"github.com/portico/portico/schedule"
)

// services are the parts of a Platform that outlive a reload: the Redis
// client, the async queue, whose accepted events must survive a reload,
// the Invoke API's listener and the scheduler, whose unchanged schedules
// keep their next tick. A reload hands them to the next Platform and gives
// them its functions and schedules; `redis`, `async` and `invokeApi`
// settings change only on restart.
type services struct {
	cfg       *Config       // the config they were built from
	redis     *redis.Client // nil without `redis:`
	queue     *async.Queue
	invoke    *invokeapi.Server // nil without `invokeApi:`
	scheduler *schedule.Scheduler
	sources   *eventsource.Manager
	started   bool
}

// newServices builds the services of cfg without I/O.
func newServices(cfg *Config, log *zap.Logger) (*services, error) {
	s := &services{cfg: cfg}
	var store async.Store
	if cfg.Redis != nil {
		c, err := cfg.Redis.NewClient()
		if err != nil {
			return nil, err
		}
		s.redis = c
		store = async.NewRedisStore(c, replicaName(cfg.Listen))
	} else {
		store = async.NewMemoryStore(cfg.Async.QueueSize, cfg.Async.QueueBytes)
	}
	s.queue = async.New(cfg.Async, store, log.Named("async"))
	if cfg.InvokeAPI != nil {
		s.invoke = invokeapi.New(cfg.InvokeAPI, nil, s.queue, invokeapi.WithLogger(log),
			invokeapi.WithAccount(cfg.AccountID), invokeapi.WithDrainTimeout(cfg.Limits.DrainTimeout))
	}
	var lock schedule.Locker // nil: this replica alone decides
	if s.redis != nil {
		lock = schedule.NewRedisLocker(s.redis)
	}
	sched, err := schedule.New(nil, s.queue, lock, schedule.WithLogger(log.Named("schedule")), schedule.WithAccount(cfg.AccountID))
	if err != nil {
		return nil, err
	}
	s.scheduler = sched
	sources, err := eventsource.New(nil, nil, s.redis, eventsource.WithLogger(log.Named("eventsource")),
		eventsource.WithAccount(cfg.AccountID), eventsource.WithConsumerName(replicaName(cfg.Listen)))
	if err != nil {
		return nil, err
	}
	s.sources = sources
	return s, nil
}

// use makes p's functions the ones the services invoke, and schedules and
// event sources the ones that run, and starts the queue's workers, the
// scheduler and the pollers the first time. p's functions must be started.
func (s *services) use(ctx context.Context, p *Platform, schedules []schedule.Config, sources []eventsource.Config) error {
	s.queue.SetFunctions(p.asyncFunctions())
	if s.invoke != nil {
		s.invoke.SetFunctions(p.invokeFunctions())
	}
	if err := s.scheduler.Set(schedules); err != nil {
		return err
	}
	if err := s.sources.Set(sources, p.sourceFunctions()); err != nil {
		return err
	}
	if s.started {
		return nil
	}
	s.started = true
	if err := s.queue.Start(ctx); err != nil {
		return err
	}
	if err := s.scheduler.Start(ctx); err != nil {
		return err
	}
	return s.sources.Start(ctx)
}

// changedOnRestartOnly lists what of cfg differs from the config the
// services run, which a reload cannot change.
func (s *services) changedOnRestartOnly(cfg *Config) []string {
	var keys []string
	if !reflect.DeepEqual(s.cfg.Redis, cfg.Redis) {
		keys = append(keys, "redis")
	}
	if !reflect.DeepEqual(s.cfg.Async, cfg.Async) {
		keys = append(keys, "async")
	}
	if !reflect.DeepEqual(s.cfg.InvokeAPI, cfg.InvokeAPI) {
		keys = append(keys, "invokeApi")
	}
	return keys
}

// replicaName names this replica to the Redis queues: its host name and
// public listen address, which stay the same across a restart of the same
// machine or StatefulSet pod, so that a restarted replica takes its own
// unfinished events back at once (another replica takes them over after
// async.claimTimeout), while two replicas on one host (which cannot share
// a listen address) never take each other's events for their own.
func replicaName(listen string) string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "portico"
	}
	return h + "/" + listen
}

// discard releases services a Platform built that never started, unless
// they came from prev.
func (s *services) discard(prev *Platform) {
	if prev == nil && s.redis != nil {
		s.redis.Close()
	}
}

// close stops the schedules and the pollers (their batches in flight
// finish within ctx, or are left for redelivery), drains the queue within
// ctx, then closes the Redis client.
func (s *services) close(ctx context.Context) error {
	err := errors.Join(s.scheduler.Close(), s.sources.Close(ctx), s.queue.Close(ctx))
	if s.redis != nil {
		err = errors.Join(err, s.redis.Close())
	}
	return err
}

// invokeFunctions are p's functions as the Invoke API serves them.
func (p *Platform) invokeFunctions() map[string]invokeapi.Function {
	region := awsdefault.Region()
	out := make(map[string]invokeapi.Function, len(p.functions))
	for name, fn := range p.functions {
		out[name] = invokeapi.Function{
			Invoker:     fn.counted(),
			Description: fn.spec.Describe(),
			ARN:         awsdefault.FunctionARN(region, p.cfg.AccountID, name),
		}
	}
	return out
}

// sourceFunctions are p's functions as the event sources' pollers invoke
// them; a function's concurrency caps its pollers.
func (p *Platform) sourceFunctions() map[string]eventsource.Function {
	out := make(map[string]eventsource.Function, len(p.functions))
	for name, fn := range p.functions {
		out[name] = eventsource.Function{
			Invoker:     fn.counted(),
			Concurrency: fn.spec.Concurrency(),
			Timeout:     fn.spec.Describe().Timeout,
		}
	}
	return out
}

// asyncFunctions are p's functions as the async queue invokes them.
func (p *Platform) asyncFunctions() map[string]async.Function {
	region := awsdefault.Region()
	out := make(map[string]async.Function, len(p.functions))
	for name, fn := range p.functions {
		out[name] = async.Function{
			Invoker: fn.counted(),
			ARN:     awsdefault.FunctionARN(region, p.cfg.AccountID, name),
			Timeout: fn.spec.Describe().Timeout,
			Config:  fn.spec.Async,
		}
	}
	return out
}

// counted is fn's capped invoker, its invocations counted in fn's
// flights: for the Invoke API, the async queue and the pollers, whose
// invocations a reload must let finish before it closes fn.
func (fn *function) counted() backend.Invoker {
	return &counted{inv: fn.capped(), flights: &fn.flights}
}

// capped is fn's invoker under its concurrency cap, which every way in
// shares.
func (fn *function) capped() backend.Invoker {
	if fn.limiter == nil {
		return fn.invoker
	}
	return ratelimit.Capped(fn.invoker, fn.limiter)
}
