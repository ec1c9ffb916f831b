package ratelimit

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

// batchSizes records the size of every round trip a client makes, in
// requests: a pipeline's commands, a lone command, and each bucket of a
// run of the bucket script (which carries the bucket requests of a round
// trip together).
type batchSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (b *batchSizes) DialHook(next redis.DialHook) redis.DialHook { return next }
func (b *batchSizes) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		b.add(requests(cmd))
		return next(ctx, cmd)
	}
}
func (b *batchSizes) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := 0
		for _, c := range cmds {
			n += requests(c)
		}
		b.add(n)
		return next(ctx, cmds)
	}
}

// requests is how many requests cmd carries: its keys for a run of the
// bucket script, else one.
func requests(cmd redis.Cmder) int {
	args := cmd.Args()
	if len(args) > 2 && args[0] == "evalsha" && args[1] == gcraScript.Hash() {
		if n, ok := args[2].(int); ok {
			return n
		}
	}
	return 1
}

func (b *batchSizes) add(n int) {
	b.mu.Lock()
	b.sizes = append(b.sizes, n)
	b.mu.Unlock()
}

// most returns the largest batch and the number of batches.
func (b *batchSizes) most() (most, batches int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.sizes {
		most = max(most, n)
	}
	return most, len(b.sizes)
}

// Many goroutines on one bucket that does not refill within the test (one
// token every 1000s) admit exactly its burst, whether their scripts go one
// per round trip or many together, and on one replica or two.
func TestRedisPipelineExact(t *testing.T) {
	srv := redistest.Start(t)
	const burst = 100
	lim := Limit{Rate: 0.001, Burst: burst}
	for _, tc := range []struct {
		name                 string
		replicas, goroutines int
		requests             int // per goroutine
		batched              bool
	}{
		{"one at a time", 1, 1, 3 * burst, false},
		{"300 goroutines", 1, 300, 3, true},
		{"two replicas, 64 goroutines", 2, 64, 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := []byte("exact\x00" + tc.name)
			var stores []*Redis
			var hooks []*batchSizes
			for range tc.replicas {
				// Time enough to wait in a long queue under -race: this
				// test is about exactness.
				r := newRedisConf(t, redisconf.Config{URL: srv.URL, Timeout: 5 * time.Second})
				h := &batchSizes{}
				r.c.AddHook(h)
				stores = append(stores, r)
				hooks = append(hooks, h)
			}
			var allowed, failed atomic.Int64
			var wg sync.WaitGroup
			begin := make(chan struct{})
			for g := range tc.goroutines {
				wg.Go(func() {
					r := stores[g%len(stores)]
					<-begin
					for range tc.requests {
						d, err := r.Take(context.Background(), key, lim, time.Now())
						switch {
						case err != nil:
							failed.Add(1)
						case d.Allowed:
							allowed.Add(1)
						}
					}
				})
			}
			close(begin)
			wg.Wait()
			if n := failed.Load(); n > 0 {
				t.Fatalf("%d requests failed", n)
			}
			if n := allowed.Load(); n != burst {
				t.Errorf("allowed %d of %d requests, want exactly the burst, %d", n, tc.goroutines*tc.requests, burst)
			}
			for i, h := range hooks {
				most, batches := h.most()
				t.Logf("replica %d: %d round trips, the largest of %d scripts", i, batches, most)
				if most > maxBatch {
					t.Errorf("replica %d: a round trip of %d scripts, want at most %d", i, most, maxBatch)
				}
				if tc.batched && most < 2 {
					t.Errorf("replica %d: no round trip carried more than one script", i)
				}
				if !tc.batched && most > 1 {
					t.Errorf("replica %d: a round trip of %d scripts from one goroutine", i, most)
				}
			}
		})
	}
}

// busyScript keeps Redis busy until it is killed: scripts sent meanwhile
// stay in flight.
const busyScript = `local i = 0 while true do i = i + 1 end`

// stall keeps srv busy with busyScript until it is stopped: scripts sent
// meanwhile stay in flight.
func stall(t *testing.T, srv *redistest.Server) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port))
	busy := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1, MaxRetries: -1})
	t.Cleanup(func() { busy.Close() })
	// Redis would answer BUSY to the waiting scripts after 5s; not here.
	if err := busy.ConfigSet(context.Background(), "busy-reply-threshold", "60000").Err(); err != nil {
		t.Fatal(err)
	}
	go busy.Eval(context.Background(), busyScript, nil) // fails when Redis dies
	testkit.Eventually(t, 5*time.Second, "Redis busy with the script", func() bool {
		c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 20 * time.Millisecond, MaxRetries: -1})
		defer c.Close()
		return c.Ping(context.Background()).Err() != nil
	})

}

// Redis hangs with more requests than two full round trips can carry: each
// request gets its error within about twice the timeout (its wait in the
// queue, then its round trip), however long the queue.
func TestRedisPipelineSlow(t *testing.T) {
	srv := redistest.Start(t)
	const timeout = 100 * time.Millisecond
	r := newRedisConf(t, redisconf.Config{URL: srv.URL, Timeout: timeout})
	lim := Limit{Rate: 1000, Burst: 1000}
	if _, err := r.Take(context.Background(), []byte("warm-up"), lim, time.Now()); err != nil {
		t.Fatal(err)
	}
	stall(t, srv)
	// Eight full round trips: 800ms and more (1.7s measured under -race),
	// were the wait in the queue unbounded.
	const goroutines = 8 * maxBatch * maxInFlight
	took := make(chan time.Duration, goroutines)
	for range goroutines {
		go func() {
			start := time.Now()
			if _, err := r.Take(context.Background(), []byte("slow"), lim, start); err == nil {
				t.Error("Take while Redis hangs: no error")
			}
			took <- time.Since(start)
		}()
	}
	var longest time.Duration
	deadline := time.After(10 * time.Second)
	for i := range goroutines {
		select {
		case d := <-took:
			longest = max(longest, d)
		case <-deadline:
			t.Fatalf("%d of %d requests still waiting after 10s", goroutines-i, goroutines)
		}
	}
	t.Logf("%d requests while Redis hangs, timeout %v: the slowest answered after %v", goroutines, timeout, longest)
	// Twice the timeout, and room for 2048 goroutines on a loaded machine
	// under -race (~450ms measured).
	if longest > 2*timeout+500*time.Millisecond {
		t.Errorf("the slowest request took %v, want about 2×%v at most", longest, timeout)
	}
}

// Redis dies while a round trip is in flight and more requests wait for
// the next one: every request gets the store's error (through Guard, the
// onStoreError policy), none hangs. A request whose ctx ends while it
// waits leaves at once.
func TestRedisPipelineDownMidBatch(t *testing.T) {
	srv := redistest.Start(t)
	// A timeout longer than the test: only Redis dying ends the round trip.
	r := newRedisConf(t, redisconf.Config{URL: srv.URL, Timeout: time.Minute})
	g := NewGuard(r, OnStoreErrorDeny)
	lim := Limit{Rate: 1000, Burst: 1000}
	if _, err := g.Take(context.Background(), []byte("warm-up"), lim, time.Now()); err != nil {
		t.Fatal(err)
	}

	stall(t, srv)

	const goroutines = 40
	type answer struct {
		d   Decision
		err error
	}
	answers := make(chan answer, goroutines)
	take := func() {
		d, err := g.Take(context.Background(), []byte("down"), lim, time.Now())
		answers <- answer{d, err}
	}
	queued := func(n int) func() bool {
		return func() bool {
			r.p.mu.Lock()
			defer r.p.mu.Unlock()
			return len(r.p.free) == 0 && len(r.p.queue) == n
		}
	}
	// Some lead the round trips, which Redis does not answer (no lane
	// free, none waiting: each leader has taken its batch); then the
	// others wait.
	for range maxInFlight {
		go take()
	}
	testkit.Eventually(t, 5*time.Second, "every lane in flight", queued(0))
	for range goroutines - maxInFlight {
		go take()
	}
	testkit.Eventually(t, 5*time.Second, "the others in the queue", queued(goroutines-maxInFlight))

	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := r.Take(ctx, []byte("down"), lim, time.Now())
		left <- err
	}()
	testkit.Eventually(t, 5*time.Second, "the cancelled request in the queue", queued(goroutines-maxInFlight+1))
	cancel()
	select {
	case err := <-left:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled while waiting: got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request cancelled while waiting did not return")
	}

	srv.Stop()
	deadline := time.After(10 * time.Second)
	for i := range goroutines {
		select {
		case a := <-answers:
			if a.d.Allowed || !errors.Is(a.err, ErrStoreUnavailable) {
				t.Errorf("answer %d: got %+v, %v; want refused (deny) with ErrStoreUnavailable", i, a.d, a.err)
			}
		case <-deadline:
			t.Fatalf("%d of %d requests still waiting 10s after Redis died", goroutines-i, goroutines)
		}
	}
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	if len(r.p.queue) != 0 || len(r.p.free) != maxInFlight {
		t.Errorf("after the failures: %d calls queued, %d lanes free; want none, %d", len(r.p.queue), len(r.p.free), maxInFlight)
	}
}

// Bucket and quota requests in the same round trips (the bucket ones run
// together, the quota ones each alone) both stay exact.
func TestRedisPipelineMixed(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisConf(t, redisconf.Config{URL: srv.URL, Timeout: 5 * time.Second})
	h := &batchSizes{}
	r.c.AddHook(h)
	const burst, quota = 50, 70
	lim, q := Limit{Rate: 0.001, Burst: burst}, Quota{Limit: quota, Period: "DAY"}
	var taken, counted, failed atomic.Int64
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for g := range 100 {
		wg.Go(func() {
			<-begin
			for range 2 {
				var d Decision
				var err error
				if g%2 == 0 {
					d, err = r.Take(context.Background(), []byte("mixed"), lim, time.Now())
					if d.Allowed {
						taken.Add(1)
					}
				} else {
					d, err = r.Count(context.Background(), []byte("mixed"), q, time.Now())
					if d.Allowed {
						counted.Add(1)
					}
				}
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	close(begin)
	wg.Wait()
	// 100 requests at each: exactly the burst and the quota get through.
	if failed.Load() > 0 || taken.Load() != burst || counted.Load() != quota {
		t.Errorf("failed %d, bucket allowed %d (want %d), quota allowed %d (want %d)", failed.Load(), taken.Load(), burst, counted.Load(), quota)
	}
	if most, _ := h.most(); most < 2 {
		t.Errorf("no round trip carried more than one request")
	}
}
