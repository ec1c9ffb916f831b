package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

func startRedis(t *testing.T) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	conf := redisconf.Config{URL: srv.URL, Timeout: time.Second}
	rdb, err := conf.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return srv, rdb
}

func redisSource(stream string) Config {
	return Config{Function: "fn", Type: TypeRedis, Redis: RedisConfig{Stream: stream, Group: "portico"}}
}

func xadd(t *testing.T, rdb *redis.Client, stream string, values ...any) string {
	t.Helper()
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func pending(t *testing.T, rdb *redis.Client, stream string) int64 {
	t.Helper()
	p, err := rdb.XPending(context.Background(), stream, "portico").Result()
	if err != nil {
		t.Fatal(err)
	}
	return p.Count
}

func streamLen(t *testing.T, rdb *redis.Client, stream string) int64 {
	t.Helper()
	n, err := rdb.XLen(context.Background(), stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRedisDeliversAndAcknowledges(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	// Entries written before the group exists are delivered too.
	first := xadd(t, rdb, "orders", "body", "b0", "kind", "order")
	fn := &recorder{}
	m, _ := startManager(t, redisSource("orders"), Function{Invoker: fn, Concurrency: 2}, rdb)
	for i := 1; i < 25; i++ {
		xadd(t, rdb, "orders", "body", "b"+strconv.Itoa(i))
	}
	testkit.Eventually(t, 10*time.Second, "every entry delivered and acknowledged", func() bool {
		return len(fn.deliveries()) == 25 && pending(t, rdb, "orders") == 0
	})
	for b, n := range fn.deliveries() {
		if n != 1 {
			t.Errorf("%s delivered %d times", b, n)
		}
	}
	for _, r := range fn.records() {
		if r.Body != "b0" {
			continue
		}
		if r.MessageId != first || r.ReceiptHandle != first || r.EventSource != RedisEventSource ||
			r.EventSourceARN != "arn:portico:redis:us-east-1:123456789012:orders" || r.AWSRegion != "us-east-1" {
			t.Errorf("record ids and source: %+v", r)
		}
		if r.Attributes["ApproximateReceiveCount"] != "1" || r.Attributes["SentTimestamp"] != strings.Split(first, "-")[0] {
			t.Errorf("attributes %v", r.Attributes)
		}
		if a := r.MessageAttributes["kind"]; a.DataType != "String" || a.StringValue == nil || *a.StringValue != "order" {
			t.Errorf("message attribute kind: %+v", a)
		}
		if sum := md5.Sum([]byte("b0")); r.Md5OfBody != hex.EncodeToString(sum[:]) {
			t.Errorf("md5OfBody %q", r.Md5OfBody)
		}
	}
	testkit.Eventually(t, 5*time.Second, "the acked metric at 25", func() bool { return metric(t, m, "messages_deleted_total") == 25 })
}

func TestRedisReclaimsFromDeadConsumer(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, "jobs", "portico", "0").Err(); err != nil {
		t.Fatal(err)
	}
	xadd(t, rdb, "jobs", "body", "orphan")
	// A consumer reads the entry and dies without acknowledging it.
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "portico", Consumer: "dead", Streams: []string{"jobs", ">"}, Count: 10, Block: -1}).Err(); err != nil {
		t.Fatal(err)
	}
	fn := &recorder{}
	cfg := redisSource("jobs")
	cfg.Redis.VisibilityTimeout = time.Second
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	testkit.Eventually(t, 10*time.Second, "the orphan reclaimed and acknowledged", func() bool {
		return fn.deliveries()["orphan"] == 1 && pending(t, rdb, "jobs") == 0
	})
	if got := fn.records()[0].Attributes["ApproximateReceiveCount"]; got != "2" {
		t.Errorf("ApproximateReceiveCount %q, want 2 (the dead consumer's delivery counts)", got)
	}
}

func TestRedisDeadLetterAfterMaxReceiveCount(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	fn := &recorder{}
	fn.handle = func(_ context.Context, ev *events.SQSEvent) ([]byte, error) {
		var failed []string
		for _, r := range ev.Records {
			if r.Body == "poison" {
				failed = append(failed, r.MessageId)
			}
		}
		return failIDs(failed...), nil
	}
	cfg := redisSource("tasks")
	cfg.FunctionResponseTypes = []string{ReportBatchItemFailures}
	cfg.Redis.VisibilityTimeout, cfg.Redis.MaxReceiveCount, cfg.Redis.DeadLetterStream = time.Second, 3, "tasks-dlq"
	m, _ := startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	xadd(t, rdb, "tasks", "body", "poison", "why", "test")
	xadd(t, rdb, "tasks", "body", "fine")
	testkit.Eventually(t, 15*time.Second, "the poison entry in the dead-letter stream", func() bool {
		return streamLen(t, rdb, "tasks-dlq") == 1 && pending(t, rdb, "tasks") == 0
	})
	if d := fn.deliveries(); d["poison"] != 3 || d["fine"] != 1 {
		t.Errorf("deliveries %v, want poison 3 times (maxReceiveCount), fine once", d)
	}
	dead, err := rdb.XRange(context.Background(), "tasks-dlq", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if dead[0].Values["body"] != "poison" || dead[0].Values["why"] != "test" {
		t.Errorf("dead-lettered entry %v, want the original fields", dead[0].Values)
	}
	if got := metric(t, m, "messages_dead_lettered_total"); got != 1 {
		t.Errorf("dead-lettered metric %v, want 1", got)
	}
}

func TestRedisPartialFailure(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	seen := map[string]bool{}
	fn := &recorder{}
	fn.handle = func(_ context.Context, ev *events.SQSEvent) ([]byte, error) {
		var failed []string
		for _, r := range ev.Records {
			if (r.Body == "r1" || r.Body == "r3") && !seen[r.Body] {
				failed = append(failed, r.MessageId)
			}
			seen[r.Body] = true
		}
		return failIDs(failed...), nil
	}
	for i := range 5 {
		xadd(t, rdb, "partial", "body", "r"+strconv.Itoa(i))
	}
	cfg := redisSource("partial")
	cfg.FunctionResponseTypes = []string{ReportBatchItemFailures}
	cfg.Redis.VisibilityTimeout = time.Second
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	testkit.Eventually(t, 10*time.Second, "the failed entries delivered again", func() bool {
		d := fn.deliveries()
		return d["r1"] == 2 && d["r3"] == 2 && pending(t, rdb, "partial") == 0
	})
	d := fn.deliveries()
	for _, b := range []string{"r0", "r2", "r4"} {
		if d[b] != 1 {
			t.Errorf("%s delivered %d times, want once", b, d[b])
		}
	}
}

func TestRedisOversizeToDeadLetterStream(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	fn := &recorder{}
	cfg := redisSource("big")
	cfg.Redis.DeadLetterStream = "big-dlq"
	xadd(t, rdb, "big", "body", strings.Repeat("x", lambdalimit.RequestBytes))
	xadd(t, rdb, "big", "body", "small")
	m, logs := startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	testkit.Eventually(t, 10*time.Second, "the large entry dead-lettered, the small one delivered", func() bool {
		return streamLen(t, rdb, "big-dlq") == 1 && fn.deliveries()["small"] == 1 && pending(t, rdb, "big") == 0
	})
	if len(fn.deliveries()) != 1 {
		t.Errorf("delivered %d bodies, want only the small one", len(fn.deliveries()))
	}
	if logs.FilterMessageSnippet("too large").Len() != 1 {
		t.Errorf("want one log line for the large entry, got %d", logs.FilterMessageSnippet("too large").Len())
	}
	if got := metric(t, m, "messages_dead_lettered_total"); got != 1 {
		t.Errorf("dead-lettered metric %v, want 1", got)
	}
}

func TestRedisCloseMidBatch(t *testing.T) {
	t.Parallel()
	t.Run("in-flight batch finishes within Close", func(t *testing.T) {
		t.Parallel()
		_, rdb := startRedis(t)
		started, release := make(chan struct{}), make(chan struct{})
		fn := &recorder{}
		fn.handle = func(ctx context.Context, ev *events.SQSEvent) ([]byte, error) {
			close(started)
			<-release
			return nil, nil
		}
		for i := range 5 {
			xadd(t, rdb, "close", "body", "c"+strconv.Itoa(i))
		}
		m, err := New([]Config{redisSource("close")}, map[string]Function{"fn": {Invoker: fn, Concurrency: 1}}, rdb)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(context.Background())
		<-started
		closed := make(chan error, 1)
		go func() { closed <- m.Close(context.Background()) }()
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v before the in-flight batch ended", err)
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("close: %v", err)
		}
		if p := pending(t, rdb, "close"); p != 0 {
			t.Errorf("%d entries pending after the batch succeeded", p)
		}
	})
	t.Run("Close's deadline cancels the batch, which stays whole", func(t *testing.T) {
		t.Parallel()
		_, rdb := startRedis(t)
		started := make(chan struct{})
		fn := &recorder{}
		fn.handle = func(ctx context.Context, ev *events.SQSEvent) ([]byte, error) {
			close(started)
			<-ctx.Done()
			return nil, &backend.InvokeError{Kind: backend.KindTimeout, Err: ctx.Err()}
		}
		for i := range 5 {
			xadd(t, rdb, "cut", "body", "c"+strconv.Itoa(i))
		}
		m, err := New([]Config{redisSource("cut")}, map[string]Function{"fn": {Invoker: fn, Concurrency: 1}}, rdb)
		if err != nil {
			t.Fatal(err)
		}
		m.Start(context.Background())
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := m.Close(ctx); err == nil {
			t.Fatal("Close returned nil with a batch cut short")
		}
		if p := pending(t, rdb, "cut"); p != 5 {
			t.Errorf("%d entries pending, want all 5: the cut batch is left whole for redelivery", p)
		}
	})
}

func TestRedisDownBacksOff(t *testing.T) {
	t.Parallel()
	srv, rdb := startRedis(t)
	fn := &recorder{}
	m, logs := startManager(t, redisSource("down"), Function{Invoker: fn, Concurrency: 1}, rdb)
	xadd(t, rdb, "down", "body", "before")
	testkit.Eventually(t, 10*time.Second, "the first entry delivered", func() bool { return fn.deliveries()["before"] == 1 })
	srv.Stop()
	testkit.Eventually(t, 5*time.Second, "the outage reported", func() bool { return logs.FilterMessageSnippet("unavailable").Len() > 0 })
	start := metric(t, m, "poll_errors_total")
	// Two seconds of outage: a backoff from 100ms makes a handful of
	// attempts, a spin thousands.
	deadline := time.Now().Add(2 * time.Second)
	testkit.Poll(3*time.Second, func() bool { return time.Now().After(deadline) })
	if n := metric(t, m, "poll_errors_total") - start; n > 8 {
		t.Errorf("%v failed attempts in 2s, want a backoff", n)
	}
	if n := logs.FilterMessageSnippet("unavailable").Len(); n > 2 {
		t.Errorf("%d log lines for one outage, want them throttled", n)
	}
	srv.Start()
	xadd(t, rdb, "down", "body", "after")
	testkit.Eventually(t, 40*time.Second, "delivery resumed after Redis came back", func() bool { return fn.deliveries()["after"] == 1 })
}

// TestRedisBatchingWindowEnds checks that a batch short of batchSize is
// invoked when its window ends, for several windows in a row: the last
// read of a window blocks for what is left of it, which is often less
// than a millisecond (BLOCK 0 would wait for ever, until the client's
// read timeout cuts it with an error).
func TestRedisBatchingWindowEnds(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	fn := &recorder{}
	cfg := redisSource("window")
	cfg.BatchSize = 50
	cfg.MaximumBatchingWindow = 200 * time.Millisecond
	m, _ := startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	for i := range 5 {
		xadd(t, rdb, "window", "body", "w"+strconv.Itoa(i))
		start := time.Now()
		testkit.Eventually(t, 5*time.Second, "the batch invoked", func() bool { return fn.calls.Load() == int64(i+1) })
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("batch %d invoked %v after its message, want about the window (200ms)", i, d)
		}
	}
	if n := metric(t, m, "poll_errors_total"); n != 0 {
		t.Errorf("poll errors: %v, want 0", n)
	}
}

// TestRedisWindowLongerThanVisibility checks that an entry is in a batch
// once even when the batching window outlasts visibilityTimeout: the
// poller's own reclaims during the window must not add it again.
func TestRedisWindowLongerThanVisibility(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	fn := &recorder{}
	cfg := redisSource("slow")
	cfg.BatchSize = 50
	cfg.MaximumBatchingWindow = 2500 * time.Millisecond
	cfg.Redis.VisibilityTimeout = time.Second
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Skipf("refused by Validate: %v", errs)
	}
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	xadd(t, rdb, "slow", "body", "once")
	// Entries that keep coming make the poller read, and so reclaim,
	// again within the window.
	for i := 0; fn.calls.Load() == 0; i++ {
		if i == 40 {
			t.Fatal("no batch after 4s")
		}
		select {
		case <-time.After(100 * time.Millisecond): // a pace of writes, not a wait for a result
		case <-t.Context().Done():
		}
		xadd(t, rdb, "slow", "body", "more"+strconv.Itoa(i))
	}
	if n := fn.deliveries()["once"]; n != 1 {
		t.Errorf("the entry is %d times in the batches, want once", n)
	}
}

// TestRedisLargeBatchFromBoundedReads checks that a batch larger than one
// read (redisMaxReceive) still reaches the function whole: the reads are
// bounded, the batch is not.
func TestRedisLargeBatchFromBoundedReads(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	const n = 2*redisMaxReceive + 50
	pipe := rdb.Pipeline()
	for i := range n {
		pipe.XAdd(context.Background(), &redis.XAddArgs{Stream: "big", Values: []any{"body", "m" + strconv.Itoa(i)}})
	}
	if _, err := pipe.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	fn := &recorder{}
	cfg := redisSource("big")
	cfg.BatchSize = n
	cfg.MaximumBatchingWindow = 5 * time.Second
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, rdb)
	testkit.Eventually(t, 10*time.Second, "the batch invoked", func() bool { return fn.calls.Load() == 1 })
	if s := fn.sizes(); len(s) != 1 || s[0] != n || len(fn.deliveries()) != n {
		t.Errorf("batch sizes %v with %d distinct messages, want one batch of %d", s, len(fn.deliveries()), n)
	}
	stats, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(stats, "cmdstat_xreadgroup:calls=")
	calls, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
	if calls < n/redisMaxReceive+1 {
		t.Errorf("%d XREADGROUP calls for %d entries: reads are not bounded to %d entries", calls, n, redisMaxReceive)
	}
}
