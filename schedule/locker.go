package schedule

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Locker takes the lock of one tick: Acquire reports whether this caller
// took key, which no other caller can take again until ttl has passed. An
// error means it is not known whether the lock was taken; the Scheduler
// then skips the tick, so that a tick never fires twice.
type Locker interface {
	Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// LocalLocker is the Locker of a Portico without Redis: the locks live in
// this process, so every tick fires here. Schedulers that share one
// LocalLocker fire each tick once between them. It is safe for concurrent
// use; the zero value is ready.
type LocalLocker struct {
	mu    sync.Mutex
	locks map[string]time.Time // key → expiry
}

// NewLocalLocker returns an empty LocalLocker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{} }

// localPruneAt is the number of locks past which Acquire drops the expired
// ones, bounding the map.
const localPruneAt = 1024

// Acquire takes key for ttl unless it is held. It never fails.
func (l *LocalLocker) Acquire(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.locks == nil {
		l.locks = make(map[string]time.Time)
	}
	if exp, ok := l.locks[key]; ok && now.Before(exp) {
		return false, nil
	}
	if len(l.locks) >= localPruneAt {
		for k, exp := range l.locks {
			if !now.Before(exp) {
				delete(l.locks, k)
			}
		}
	}
	l.locks[key] = now.Add(ttl)
	return true, nil
}

// RedisLocker takes the locks in Redis, shared by every replica, with one
// SET key 1 NX PX ttl: the first replica to write a tick's key fires it.
// It is safe for concurrent use.
type RedisLocker struct {
	c *redis.Client
}

// NewRedisLocker returns a Locker on c, which the caller owns (and
// closes). Keys are "portico:schedule:NAME:UNIXSECONDS".
func NewRedisLocker(c *redis.Client) *RedisLocker { return &RedisLocker{c: c} }

// Acquire takes key for ttl with SET NX PX. An error (Redis down, a
// timeout) leaves unknown whether the key was written.
func (l *RedisLocker) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return l.c.SetNX(ctx, key, 1, ttl).Result()
}
