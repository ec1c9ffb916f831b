package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// BodyField is the field of a stream entry that becomes the record's
// body; the entry's other fields become its messageAttributes.
const BodyField = "body"

// RedisEventSource is the eventSource of the records of a Redis stream.
const RedisEventSource = "portico:redis"

// redisIdleBlock is how long one read of an empty stream blocks: it also
// bounds how late a pending entry past its visibility timeout is seen.
const redisIdleBlock = time.Second

// redisMaxReceive is the most entries one read asks for. A stream entry
// may be as large as Redis allows, and a read's reply is held whole before
// the sizes are checked: asking for a batch of 10000 at once could take
// 10000 huge entries into memory; at 100 a read stays bounded by a hundred
// entries while a large batch takes a few more round trips.
const redisMaxReceive = 100

// reclaimScript hands the caller the pending entries of the group idle
// for at least the visibility timeout, as XAUTOCLAIM would, but first
// moves those already delivered maxReceiveCount times to the dead-letter
// stream (XADD there and XACK here, in the one script, so an entry is
// never in both or neither). The count is read before the claim, which
// raises it.
//
// KEYS: stream [, dead-letter stream]. ARGV: group, consumer,
// min-idle-ms, count, maxReceiveCount (0: none). Returns {dead-lettered,
// claimed entries, their delivery counts before the claim}.
var reclaimScript = redis.NewScript(`
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], '-', '+', ARGV[4])
local maxCount = tonumber(ARGV[5])
local claim, counts, dead = {}, {}, 0
for _, p in ipairs(pending) do
  if maxCount > 0 and p[4] >= maxCount and KEYS[2] then
    local e = redis.call('XRANGE', KEYS[1], p[1], p[1])
    if #e > 0 then
      redis.call('XADD', KEYS[2], '*', unpack(e[1][2]))
      dead = dead + 1
    end
    redis.call('XACK', KEYS[1], ARGV[1], p[1])
  else
    table.insert(claim, p[1])
    table.insert(counts, p[4])
  end
end
local claimed = {}
if #claim > 0 then
  claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], unpack(claim))
end
return {dead, claimed, claim, counts}
`)

// deadLetterScript moves one pending entry to the dead-letter stream:
// XADD there and XACK here, atomically. KEYS: stream, dead-letter stream.
// ARGV: group, entry id. Returns 1 when the entry still existed.
var deadLetterScript = redis.NewScript(`
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #e > 0 then
  redis.call('XADD', KEYS[2], '*', unpack(e[1][2]))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return #e
`)

// redisConsumer reads a Redis stream through a consumer group and gives
// its entries the records of SQS messages, so that a function written
// for SQS runs unchanged.
type redisConsumer struct {
	cfg      *Config
	rdb      *redis.Client
	st       *stats
	consumer string
	head     recordHead
}

func newRedisConsumer(cfg *Config, rdb *redis.Client, st *stats, consumer, region, account string) *redisConsumer {
	return &redisConsumer{cfg: cfg, rdb: rdb, st: st, consumer: consumer, head: recordHead{
		eventSource:    RedisEventSource,
		eventSourceARN: "arn:portico:redis:" + region + ":" + account + ":" + cfg.Redis.Stream,
		awsRegion:      region,
	}}
}

func (c *redisConsumer) limits() (int, time.Duration) { return redisMaxReceive, redisIdleBlock }

// open creates the group, and the stream with it, when missing. A new
// group starts at the beginning of the stream: entries written before
// the source existed are delivered, as messages sent to a queue before
// its mapping was created are.
func (c *redisConsumer) open(ctx context.Context) error {
	err := c.rdb.XGroupCreateMkStream(ctx, c.cfg.Redis.Stream, c.cfg.Redis.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group: %w", err)
	}
	return nil
}

// receive returns pending entries past their visibility timeout first
// (dead-lettering those received maxReceiveCount times), else new ones.
func (c *redisConsumer) receive(ctx context.Context, max int, wait time.Duration) ([]*message, error) {
	msgs, err := c.reclaim(ctx, max)
	if err != nil || len(msgs) > 0 {
		return msgs, err
	}
	// BLOCK counts whole milliseconds and BLOCK 0 waits for ever: round
	// up, so that the last sliver of a batching window (often under a
	// millisecond) waits that millisecond rather than until the client's
	// read timeout cuts it with an error.
	block := wait.Truncate(time.Millisecond)
	if block < wait {
		block += time.Millisecond
	}
	if block <= 0 {
		block = -1 // no BLOCK: return at once
	}
	res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    c.cfg.Redis.Group,
		Consumer: c.consumer,
		Streams:  []string{c.cfg.Redis.Stream, ">"},
		Count:    int64(max),
		Block:    block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	for _, s := range res {
		for _, e := range s.Messages {
			msgs = append(msgs, c.message(e.ID, e.Values, 1, now))
		}
	}
	return msgs, nil
}

func (c *redisConsumer) reclaim(ctx context.Context, max int) ([]*message, error) {
	keys := []string{c.cfg.Redis.Stream}
	if c.cfg.Redis.DeadLetterStream != "" {
		keys = append(keys, c.cfg.Redis.DeadLetterStream)
	}
	v, err := reclaimScript.Run(ctx, c.rdb, keys, c.cfg.Redis.Group, c.consumer,
		c.cfg.VisibilityTimeoutOrDefault().Milliseconds(), max, c.cfg.Redis.MaxReceiveCount).Slice()
	if err != nil {
		return nil, fmt.Errorf("reclaim: %w", err)
	}
	if len(v) != 4 {
		return nil, fmt.Errorf("reclaim: unexpected reply %v", v)
	}
	if dead, _ := v[0].(int64); dead > 0 {
		c.st.deadLettered.Add(dead)
	}
	ids, _ := v[2].([]any)
	counts, _ := v[3].([]any)
	before := make(map[string]int64, len(ids))
	for i := range ids {
		id, _ := ids[i].(string)
		n, _ := counts[i].(int64)
		before[id] = n
	}
	entries, _ := v[1].([]any)
	now := time.Now().UnixMilli()
	var msgs []*message
	for _, raw := range entries {
		e, ok := raw.([]any)
		if !ok || len(e) != 2 {
			continue // an entry deleted from the stream
		}
		id, _ := e[0].(string)
		fields, _ := e[1].([]any)
		values := make(map[string]any, len(fields)/2)
		var order []string
		for i := 0; i+1 < len(fields); i += 2 {
			k, _ := fields[i].(string)
			if _, dup := values[k]; !dup {
				order = append(order, k)
				values[k] = fields[i+1]
			}
		}
		msgs = append(msgs, c.messageOrdered(id, order, values, int(before[id])+1, now))
	}
	return msgs, nil
}

// message makes the record of an entry read by XREADGROUP; go-redis gives
// its fields as a map, so the attributes come in name order.
func (c *redisConsumer) message(id string, values map[string]any, count int, now int64) *message {
	order := make([]string, 0, len(values))
	for k := range values {
		order = append(order, k)
	}
	slices.Sort(order)
	return c.messageOrdered(id, order, values, count, now)
}

// messageOrdered makes the record of an entry: messageId and
// receiptHandle are the entry id, body the BodyField, the other fields
// String message attributes (Binary when not UTF-8), SentTimestamp the
// time in the entry id, ApproximateFirstReceiveTimestamp the time of this
// delivery.
func (c *redisConsumer) messageOrdered(id string, order []string, values map[string]any, count int, now int64) *message {
	f := recordFields{messageID: id, receiptHandle: id}
	if b, ok := values[BodyField].(string); ok {
		f.body = []byte(b)
	}
	sum := md5.Sum(f.body)
	f.md5OfBody = hex.EncodeToString(sum[:])
	sent := id
	if i := strings.IndexByte(id, '-'); i >= 0 {
		sent = id[:i]
	}
	f.attributes = []attribute{
		{"ApproximateReceiveCount", strconv.Itoa(count)},
		{"SentTimestamp", sent},
		{"SenderId", c.cfg.Redis.Stream},
		{"ApproximateFirstReceiveTimestamp", formatMillis(now)},
	}
	for _, k := range order {
		if k == BodyField {
			continue
		}
		s, _ := values[k].(string)
		a := messageAttribute{name: k, dataType: "String"}
		if utf8.ValidString(s) {
			a.stringValue = &s
		} else {
			a.dataType = "Binary"
			a.binaryValue = []byte(s)
		}
		f.messageAttributes = append(f.messageAttributes, a)
	}
	return &message{id: id, handle: id, count: count, record: appendRecord(nil, &c.head, &f)}
}

// remove acknowledges the entries in one XACK: all or none.
func (c *redisConsumer) remove(ctx context.Context, msgs []*message) error {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.handle
	}
	return c.rdb.XAck(ctx, c.cfg.Redis.Stream, c.cfg.Redis.Group, ids...).Err()
}

// tooLarge moves the entry to the dead-letter stream; without one it
// stays pending, reclaimed and reported again after each visibility
// timeout, for an operator to see in XPENDING.
func (c *redisConsumer) tooLarge(ctx context.Context, m *message) (bool, error) {
	if c.cfg.Redis.DeadLetterStream == "" {
		return false, nil
	}
	err := deadLetterScript.Run(ctx, c.rdb, []string{c.cfg.Redis.Stream, c.cfg.Redis.DeadLetterStream},
		c.cfg.Redis.Group, m.handle).Err()
	return err == nil, err
}

// lag is the group's pending entries plus those not yet delivered to it.
func (c *redisConsumer) lag(ctx context.Context) (int64, error) {
	groups, err := c.rdb.XInfoGroups(ctx, c.cfg.Redis.Stream).Result()
	if err != nil {
		return 0, err
	}
	for _, g := range groups {
		if g.Name == c.cfg.Redis.Group {
			return g.Pending + max(g.Lag, 0), nil
		}
	}
	return 0, fmt.Errorf("group %q not found", c.cfg.Redis.Group)
}

// gone reports a missing stream or group (deleted while Portico ran).
func (c *redisConsumer) gone(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOGROUP")
}
