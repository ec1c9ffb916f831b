package ratelimit

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RedisOption configures NewRedis (and Open, for a Redis store).
type RedisOption func(*Redis)

// WithRedisLogger routes go-redis's own messages (such as "connection pool:
// failed to dial"), which it writes to stderr by default, to fn while the
// store is open. go-redis keeps one logger per process and names no client
// in its messages, so every open store given a logger receives every
// message; once one has been given, messages no open store takes are
// dropped rather than printed. fn must be safe for concurrent use.
func WithRedisLogger(fn func(msg string)) RedisOption {
	return func(r *Redis) { r.log = fn }
}

// redisLogs is the one logger go-redis allows per process, fanning out to
// the open stores' loggers.
var redisLogs = &redisLogFanout{fns: map[*Redis]func(string){}}

type redisLogFanout struct {
	install sync.Once
	mu      sync.Mutex
	fns     map[*Redis]func(string)
}

// takeOver makes f go-redis's logger, once.
func (f *redisLogFanout) takeOver() { f.install.Do(func() { redis.SetLogger(f) }) }

func (f *redisLogFanout) add(r *Redis) {
	f.takeOver()
	f.mu.Lock()
	f.fns[r] = r.log
	f.mu.Unlock()
}

func (f *redisLogFanout) remove(r *Redis) {
	f.mu.Lock()
	delete(f.fns, r)
	f.mu.Unlock()
}

// Printf implements go-redis's internal.Logging.
func (f *redisLogFanout) Printf(_ context.Context, format string, v ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fns) == 0 {
		return
	}
	msg := fmt.Sprintf(format, v...)
	for _, fn := range f.fns {
		fn(msg)
	}
}
