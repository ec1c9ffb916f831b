package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/redisconf"
)

// Redis is a Store in Redis, shared by every gateway replica that uses the
// same server: N replicas enforce one limit. It is safe for concurrent use.
//
// Each Take or Count is one Lua script. The scripts of concurrent requests
// share round trips (see pipeline): under load, one round trip answers
// many requests, each exactly as if it had been alone.
//
// The bucket's script runs the GCRA atomically on the server,
// on the server's clock (Redis TIME), not on the now passed in: replicas
// whose clocks disagree still share one timeline, so clock skew between
// them neither lends nor steals tokens. (A skewed Redis clock only shifts
// every bucket alike.) Bucket keys expire when the bucket would be full.
//
// Count uses the passed now to pick the calendar period, so each replica's
// clock decides on which side of a period boundary its requests fall; skew
// only matters for requests within the skew of a boundary. The counter of a
// period is INCRed (only while under the limit) and expires an hour after
// the period ends.
//
// Keys are "portico:rl:b:{KEY}" for buckets, "portico:rl:q:{KEY}:START" for
// quota counters (START: the period's Unix seconds) and "portico:rl:qf:{KEY}"
// for the first period of a quota with an offset (kept 400 days after the
// key was last counted).
type Redis struct {
	_ noCopy
	c *redis.Client
	p *pipeline
	// clientClock makes Take use the now passed in instead of Redis TIME
	// (tests with a fake clock).
	clientClock bool
	// log receives go-redis's messages while the store is open (see
	// WithRedisLogger); nil leaves them to go-redis.
	log func(msg string)
}

const (
	redisPrefix = "portico:rl:"
	// quotaGrace keeps a period's counter this long after the period ends,
	// for replicas whose clocks lag.
	quotaGrace = time.Hour
	// markerTTL is how long the first-period marker of a quota with an
	// offset outlives the last request of its key.
	markerTTL = 400 * 24 * time.Hour
	// maxMicros caps bucket spans in the script, so that times stay exact
	// in Lua's float64 numbers (now is ~2^51 µs).
	maxMicros = int64(1) << 50
)

// NewRedis returns a Redis store. It does not connect: the first request
// does, so that a gateway starts while Redis is down (see Guard). The
// client pools connections (cfg.PoolSize), bounds every operation by
// cfg.Timeout (default 50ms), dials once per attempt and does not retry:
// Guard decides what a failure means.
func NewRedis(cfg redisconf.Config, opts ...RedisOption) (*Redis, error) {
	c, err := cfg.NewClient()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	r := &Redis{c: c, p: newPipeline(c, c.Options().ReadTimeout)}
	for _, o := range opts {
		o(r)
	}
	if r.log != nil {
		redisLogs.add(r)
	}
	return r, nil
}

// gcraScript is gcra (store.go) in microseconds, for one bucket or for
// several in turn (gcraBatch): KEYS[i] is a bucket and ARGV[3i-2..3i] its
// emission interval, tau and now (0: the server's clock, read once per
// run); the reply is four integers per bucket. The pipeline runs the
// bucket requests of a round trip as one run of it, so the server pays
// for one script call, not one per request. (A run touches buckets of any
// keys: it needs one server, not Redis Cluster, whose slots would refuse
// it; Portico's Redis client is a single-server one.)
var gcraScript = redis.NewScript(`
local out = {}
local clock = 0
for i = 1, #KEYS do
  local t = tonumber(ARGV[3*i-2])
  local tau = tonumber(ARGV[3*i-1])
  local now = tonumber(ARGV[3*i])
  if now == 0 then
    if clock == 0 then
      local tm = redis.call('TIME')
      clock = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
    end
    now = clock
  end
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0)
  local base = math.max(tat, now)
  local nxt = base + t
  local allowAt = nxt - tau
  if now < allowAt then
    out[#out+1] = 0; out[#out+1] = 0; out[#out+1] = base - now; out[#out+1] = allowAt - now
  else
    redis.call('SET', KEYS[i], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
    out[#out+1] = 1; out[#out+1] = math.floor((tau - (nxt - now)) / t); out[#out+1] = nxt - now; out[#out+1] = 0
  end
end
return out
`)

// gcraBatch is how gcraScript's runs combine: a key, three arguments and
// four reply values a bucket.
var gcraBatch = batching{script: gcraScript, keys: 1, args: 3, reply: 4}

// quotaScript counts one request of a quota. KEYS[1]: the period's
// counter; KEYS[2]: the first-period marker. ARGV: limit, offset, period
// start, counter TTL (ms), marker TTL (ms).
var quotaScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
if tonumber(ARGV[2]) > 0 then
  local first = redis.call('GET', KEYS[2])
  if not first then
    redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
    first = ARGV[3]
  else
    redis.call('PEXPIRE', KEYS[2], ARGV[5])
  end
  if first == ARGV[3] then
    limit = math.max(limit - tonumber(ARGV[2]), 0)
  end
end
local n = tonumber(redis.call('GET', KEYS[1]) or 0)
if n >= limit then
  return {0, n, limit}
end
n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {1, n, limit}
`)

// intervalMicros is interval in µs: at least 1, at most maxMicros.
func intervalMicros(rate float64) int64 { return intervalIn(rate, 1e6, maxMicros) }

// Take implements Store.
func (r *Redis) Take(ctx context.Context, key []byte, lim Limit, now time.Time) (Decision, error) {
	if d, ok := blocked(lim); ok {
		return d, nil
	}
	t := intervalMicros(lim.Rate)
	tau := min(span(t, lim.Burst), maxMicros)
	var nowArg int64
	if r.clientClock {
		nowArg = now.UnixMicro()
	}
	c := acquireCall(gcraScript)
	c.keys = append(c.keys, redisPrefix+"b:{"+string(key)+"}")
	c.args = append(c.args, t, tau, nowArg)
	res, n, err := r.run(ctx, c)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if n != 4 {
		return Decision{}, fmt.Errorf("ratelimit: redis: unexpected reply %v", res[:n])
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      int64(lim.Burst),
		Remaining:  res[1],
		Reset:      time.Duration(res[2]) * time.Microsecond,
		RetryAfter: time.Duration(res[3]) * time.Microsecond,
	}, nil
}

// Count implements Store. The first period of a key, where Quota.Offset
// applies, is the one in which any replica first counted it.
func (r *Redis) Count(ctx context.Context, key []byte, q Quota, now time.Time) (Decision, error) {
	p, ok := parsePeriod(q.Period)
	if !ok || q.Limit < 1 {
		return Decision{}, ErrInvalidQuota
	}
	start, end := p.bounds(now)
	startArg := strconv.FormatInt(start.Unix(), 10)
	k := "{" + string(key) + "}"
	ttl := (end.Sub(now) + quotaGrace).Milliseconds()
	c := acquireCall(quotaScript)
	c.keys = append(c.keys, redisPrefix+"q:"+k+":"+startArg, redisPrefix+"qf:"+k)
	c.args = append(c.args, q.Limit, q.Offset, startArg, ttl, markerTTL.Milliseconds())
	res, n, err := r.run(ctx, c)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if n != 3 {
		return Decision{}, fmt.Errorf("ratelimit: redis: unexpected reply %v", res[:n])
	}
	return quotaDecision(res[0] == 1, res[1], res[2], now, end), nil
}

// run runs c's script through the pipeline, releases c and returns the
// reply, n integers of res (a copy: c's buffer goes back to the pool).
func (r *Redis) run(ctx context.Context, c *call) (res [4]int64, n int, err error) {
	sent := r.p.do(ctx, c)
	n, err = copy(res[:], c.res), c.err
	if len(c.res) > len(res) && err == nil {
		err = fmt.Errorf("unexpected reply %v", c.res)
	}
	if sent {
		releaseCall(c)
	}
	return res, n, err
}

// Ping checks that Redis answers, for a readiness probe.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

// Close implements Store: it closes the client's connections and stops
// routing go-redis's messages to the store's logger.
func (r *Redis) Close() error {
	redisLogs.remove(r)
	return r.c.Close()
}
