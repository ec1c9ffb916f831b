package async

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis, shared by every replica that uses the
// same server: an event accepted by one replica is delivered by whichever
// replica takes it, and survives the replica that accepted it. It is safe
// for concurrent use.
//
// Each function has a stream, "portico:async:FUNCTION", read through the
// consumer group "portico" (XREADGROUP); its retries wait in the sorted set
// "portico:async:FUNCTION:retry" scored by due time (Unix ms) until a Lua
// script moves them back to the stream, atomically; and
// "portico:async:FUNCTION:ids" scores each undelivered event's id by its
// acceptance time, for Stats. "portico:async:functions" names the
// functions that ever had events.
//
// Delivery is at least once: a taken entry stays pending with its consumer
// until it is acknowledged, which happens in the same MULTI that stores its
// retry or its destination record. The consumer re-reads its own pending
// entries when it starts (keep its name across restarts), and takes over
// other consumers' entries idle longer than the claim timeout (XAUTOCLAIM),
// so a replica that stopped mid-invocation leaves its events to the others.
type RedisStore struct {
	c            *redis.Client
	consumer     string
	claimTimeout time.Duration

	mu sync.Mutex
	// ready holds the functions whose group exists and whose own pending
	// entries were re-read by this store.
	ready map[string]bool
	// buffered are entries read beyond what a Take could return (XREADGROUP
	// counts per stream); they are pending with this consumer already.
	buffered []*Event
	// nextClaim is when Take next looks for other consumers' stale entries.
	nextClaim time.Time
}

const (
	redisPrefix    = "portico:async:"
	redisFunctions = redisPrefix + "functions"
	redisGroup     = "portico"
	// redisField is the stream entry's one field, the encoded Event.
	redisField = "e"
	// readPage bounds each read of pending or claimed entries.
	readPage = 100
	// promoteBatch bounds how many retries one script call moves.
	promoteBatch = 100
)

func streamKey(fn string) string { return redisPrefix + fn }
func retryKey(fn string) string  { return redisPrefix + fn + ":retry" }
func idsKey(fn string) string    { return redisPrefix + fn + ":ids" }

// NewRedisStore returns a RedisStore on client, reading as consumer (the
// host name is a good one: it must stay the same across restarts and
// differ between replicas). It does no I/O. New gives it the claim
// timeout of the queue's Settings.
func NewRedisStore(client *redis.Client, consumer string) *RedisStore {
	return &RedisStore{c: client, consumer: consumer, claimTimeout: DefaultClaimTimeout, ready: map[string]bool{}}
}

// setClaimTimeout sets how long another consumer's entry must have been
// idle before this store takes it over.
func (r *RedisStore) setClaimTimeout(d time.Duration) {
	r.mu.Lock()
	r.claimTimeout = d
	r.mu.Unlock()
}

var _ Store = (*RedisStore)(nil)

// Add stores e at the end of its function's stream.
func (r *RedisStore) Add(ctx context.Context, e *Event) error {
	b, err := e.marshal()
	if err != nil {
		return err
	}
	_, err = r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		addCmds(ctx, p, e, b)
		return nil
	})
	return err
}

func addCmds(ctx context.Context, p redis.Pipeliner, e *Event, b []byte) {
	p.SAdd(ctx, redisFunctions, e.Function)
	p.ZAdd(ctx, idsKey(e.Function), redis.Z{Score: float64(e.Accepted.UnixMilli()), Member: e.ID})
	p.XAdd(ctx, &redis.XAddArgs{Stream: streamKey(e.Function), Values: []any{redisField, b}})
}

// Take returns this consumer's pending and claimed entries first, then
// new ones, blocking up to takeWait.
func (r *RedisStore) Take(ctx context.Context, functions []string, max int) ([]*Event, error) {
	if len(functions) == 0 || max <= 0 {
		return nil, sleepCtx(ctx, takeWait)
	}
	if err := r.prepare(ctx, functions); err != nil {
		return nil, err
	}
	if err := r.claim(ctx, functions); err != nil {
		return nil, err
	}
	if out := r.unbuffer(functions, max); len(out) > 0 {
		return out, nil
	}
	streams := make([]string, 0, 2*len(functions))
	for _, fn := range functions {
		streams = append(streams, streamKey(fn))
	}
	for range functions {
		streams = append(streams, ">")
	}
	res, err := r.c.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: redisGroup, Consumer: r.consumer, Streams: streams, Count: int64(max), Block: takeWait,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		r.forgetOnNoGroup(err)
		return nil, err
	}
	r.buffer(ctx, res)
	return r.unbuffer(functions, max), nil
}

// prepare creates the group of each function seen for the first time and
// re-reads this consumer's pending entries of it: those a previous run
// under the same name took and never acknowledged.
func (r *RedisStore) prepare(ctx context.Context, functions []string) error {
	for _, fn := range functions {
		r.mu.Lock()
		done := r.ready[fn]
		r.mu.Unlock()
		if done {
			continue
		}
		err := r.c.XGroupCreateMkStream(ctx, streamKey(fn), redisGroup, "0").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return err
		}
		start := "0"
		for range 1000 { // bounded: 100k pending entries per start
			res, err := r.c.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: redisGroup, Consumer: r.consumer, Streams: []string{streamKey(fn), start}, Count: readPage, Block: -1,
			}).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if len(res) == 0 || len(res[0].Messages) == 0 {
				break
			}
			r.buffer(ctx, res)
			start = res[0].Messages[len(res[0].Messages)-1].ID
		}
		r.mu.Lock()
		r.ready[fn] = true
		r.mu.Unlock()
	}
	return nil
}

// claim takes over, every quarter of the claim timeout, other consumers'
// entries idle longer than the claim timeout.
func (r *RedisStore) claim(ctx context.Context, functions []string) error {
	now := time.Now()
	r.mu.Lock()
	due := !now.Before(r.nextClaim)
	if due {
		r.nextClaim = now.Add(r.claimTimeout / 4)
	}
	minIdle := r.claimTimeout
	r.mu.Unlock()
	if !due {
		return nil
	}
	for _, fn := range functions {
		start := "0-0"
		for range 100 {
			msgs, next, err := r.c.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: streamKey(fn), Group: redisGroup, Consumer: r.consumer,
				MinIdle: minIdle, Start: start, Count: readPage,
			}).Result()
			if err != nil {
				r.forgetOnNoGroup(err)
				r.mu.Lock()
				r.nextClaim = time.Time{}
				r.mu.Unlock()
				return err
			}
			r.buffer(ctx, []redis.XStream{{Stream: streamKey(fn), Messages: msgs}})
			if next == "0-0" {
				break
			}
			start = next
		}
	}
	return nil
}

// forgetOnNoGroup makes the next Take create the groups again when Redis
// lost them (a restart without persistence, a flush).
func (r *RedisStore) forgetOnNoGroup(err error) {
	if strings.HasPrefix(err.Error(), "NOGROUP") {
		r.mu.Lock()
		r.ready = map[string]bool{}
		r.mu.Unlock()
	}
}

// buffer decodes entries into the local buffer. An entry that cannot be
// decoded (deleted, or not written by this package) is acknowledged and
// dropped: it can never be invoked.
func (r *RedisStore) buffer(ctx context.Context, streams []redis.XStream) {
	for _, s := range streams {
		for _, m := range s.Messages {
			raw, _ := m.Values[redisField].(string)
			e, err := unmarshalEvent([]byte(raw))
			if raw == "" || err != nil {
				r.c.XAck(ctx, s.Stream, redisGroup, m.ID)
				r.c.XDel(ctx, s.Stream, m.ID)
				continue
			}
			e.ref = m.ID
			r.mu.Lock()
			r.buffered = append(r.buffered, e)
			r.mu.Unlock()
		}
	}
}

// unbuffer returns up to max buffered events of functions.
func (r *RedisStore) unbuffer(functions []string, max int) []*Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Event
	kept := r.buffered[:0]
	for _, e := range r.buffered {
		if len(out) < max && contains(functions, e.Function) {
			out = append(out, e)
		} else {
			kept = append(kept, e)
		}
	}
	clear(r.buffered[len(kept):])
	r.buffered = kept
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Retry stores next in the function's retry set and acknowledges taken,
// in one MULTI.
func (r *RedisStore) Retry(ctx context.Context, taken, next *Event, due time.Time) error {
	b, err := next.marshal()
	if err != nil {
		return err
	}
	_, err = r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// Rounded up, so a retry is never promoted before it is due.
		score := (due.UnixNano() + int64(time.Millisecond) - 1) / int64(time.Millisecond)
		p.ZAdd(ctx, retryKey(next.Function), redis.Z{Score: float64(score), Member: b})
		ackCmds(ctx, p, taken)
		return nil
	})
	return err
}

func ackCmds(ctx context.Context, p redis.Pipeliner, taken *Event) {
	p.XAck(ctx, streamKey(taken.Function), redisGroup, taken.ref)
	p.XDel(ctx, streamKey(taken.Function), taken.ref)
}

// Ack stores record, if any, and acknowledges taken, in one MULTI.
func (r *RedisStore) Ack(ctx context.Context, taken, record *Event) error {
	var b []byte
	if record != nil {
		var err error
		if b, err = record.marshal(); err != nil {
			return err
		}
	}
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if record != nil {
			addCmds(ctx, p, record, b)
		}
		ackCmds(ctx, p, taken)
		p.ZRem(ctx, idsKey(taken.Function), taken.ID)
		return nil
	})
	return err
}

// promoteScript moves the members of the retry set KEYS[1] due at
// ARGV[1] (Unix ms), at most ARGV[2] of them, to the stream KEYS[2], and
// returns the score of the next one (the first argument when it stopped
// at the limit), or nil.
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', '` + redisField + `', m)
  redis.call('ZREM', KEYS[1], m)
end
if #due == tonumber(ARGV[2]) then return ARGV[1] end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then return nxt[2] end
return false
`)

// Promote runs the promotion script for each function.
func (r *RedisStore) Promote(ctx context.Context, functions []string, now time.Time) (time.Time, error) {
	var next time.Time
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	for _, fn := range functions {
		s, err := promoteScript.Run(ctx, r.c, []string{retryKey(fn), streamKey(fn)}, ms, promoteBatch).Text()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return time.Time{}, err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, err
		}
		if t := time.UnixMilli(int64(f)); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, nil
}

// Stats reads each known function's ids set.
func (r *RedisStore) Stats(ctx context.Context) (map[string]StoreStats, error) {
	fns, err := r.c.SMembers(ctx, redisFunctions).Result()
	if err != nil {
		return nil, err
	}
	cards := make([]*redis.IntCmd, len(fns))
	firsts := make([]*redis.ZSliceCmd, len(fns))
	_, err = r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, fn := range fns {
			cards[i] = p.ZCard(ctx, idsKey(fn))
			firsts[i] = p.ZRangeWithScores(ctx, idsKey(fn), 0, 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]StoreStats, len(fns))
	for i, fn := range fns {
		n := int(cards[i].Val())
		if first := firsts[i].Val(); n > 0 && len(first) > 0 {
			out[fn] = StoreStats{Depth: n, Oldest: time.UnixMilli(int64(first[0].Score))}
		}
	}
	return out, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
