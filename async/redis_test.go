package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

// hanging is an invoker that blocks every invocation until its context
// ends: a replica that stops mid-invocation.
func hanging(started chan<- string) invokerFunc {
	return func(ctx context.Context, inv *backend.Invocation) ([]byte, error) {
		started <- inv.RequestID
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// deadReplica starts a queue as consumer name that takes events and never
// settles them, waits until it holds want invocations, and stops it
// without acknowledging anything. It returns the ids it took and a time
// before it took them.
func deadReplica(t *testing.T, url, name string, want int) (taken []string, before time.Time) {
	t.Helper()
	before = time.Now()
	started := make(chan string, 100)
	s := fastSettings()
	q := New(s, NewRedisStore(newClient(t, url), name), nil)
	q.SetFunctions(map[string]Function{"f": fn("f", hanging(started), nil)})
	q.Start(context.Background())
	for range want {
		select {
		case id := <-started:
			taken = append(taken, id)
		case <-time.After(wait):
			t.Fatal("the replica did not take its events")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: got %v, want the deadline", err)
	}
	return taken, before
}

// delivered counts the deliveries of each request id.
type delivered struct {
	mu    sync.Mutex
	n     map[string]int
	first map[string]time.Time
}

func newDelivered() *delivered {
	return &delivered{n: map[string]int{}, first: map[string]time.Time{}}
}

func (d *delivered) invoker() invokerFunc {
	return func(_ context.Context, inv *backend.Invocation) ([]byte, error) {
		d.mu.Lock()
		if d.n[inv.RequestID]++; d.n[inv.RequestID] == 1 {
			d.first[inv.RequestID] = time.Now()
		}
		d.mu.Unlock()
		return nil, nil
	}
}

func (d *delivered) all(ids []string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		if d.n[id] == 0 {
			return false
		}
	}
	return true
}

// A replica that stops with events taken leaves them to another replica
// once they have been idle for the claim timeout; every event is delivered.
func TestRedisOtherReplicaClaims(t *testing.T) {
	srv := redistest.Start(t)
	enq := New(fastSettings(), NewRedisStore(newClient(t, srv.URL), "enqueuer"), nil)
	enq.SetFunctions(map[string]Function{"f": fn("f", newRecorder(nil), nil)})
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprint("req-", i))
		if err := enq.Enqueue(context.Background(), "f", ids[i], []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	taken, before := deadReplica(t, srv.URL, "a", fastSettings().Workers)

	d := newDelivered()
	startQueue(t, fastSettings(), NewRedisStore(newClient(t, srv.URL), "b"), map[string]Function{"f": fn("f", d.invoker(), nil)}, nil)
	testkit.Eventually(t, wait, "every event delivered", func() bool { return d.all(ids) })
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range taken {
		if idle := d.first[id].Sub(before); idle < fastSettings().ClaimTimeout {
			t.Errorf("%s was claimed %v after it was taken, before the claim timeout %v", id, idle, fastSettings().ClaimTimeout)
		}
	}
	testkit.Eventually(t, wait, "an empty queue", func() bool {
		st, err := enq.Stats(context.Background())
		return err == nil && len(st) == 0
	})
}

// A replica that restarts under the same consumer name re-reads the
// events it had taken, without waiting for the claim timeout.
func TestRedisRestartRereadsOwnEvents(t *testing.T) {
	srv := redistest.Start(t)
	enq := New(fastSettings(), NewRedisStore(newClient(t, srv.URL), "enqueuer"), nil)
	enq.SetFunctions(map[string]Function{"f": fn("f", newRecorder(nil), nil)})
	ids := []string{"r1", "r2"}
	for _, id := range ids {
		enq.Enqueue(context.Background(), "f", id, []byte(`{}`))
	}
	if taken, _ := deadReplica(t, srv.URL, "a", 2); len(taken) != 2 {
		t.Fatalf("the dead replica took %v", taken)
	}

	d := newDelivered()
	s := fastSettings()
	s.ClaimTimeout = time.Hour // only its own pending entries can bring them back
	startQueue(t, s, NewRedisStore(newClient(t, srv.URL), "a"), map[string]Function{"f": fn("f", d.invoker(), nil)}, nil)
	testkit.Eventually(t, wait, "both events delivered again", func() bool { return d.all(ids) })
}

// With Redis down, Enqueue fails (the Invoke API answers 5xx) and the
// workers retry with a growing backoff instead of spinning; when Redis is
// back, events flow again.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	f := newRecorder(nil)
	q := startQueue(t, fastSettings(), NewRedisStore(newClient(t, srv.URL), "a"), map[string]Function{"f": fn("f", f, nil)}, nil)
	if err := q.Enqueue(context.Background(), "f", "before", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	f.next(t, wait)

	srv.Stop()
	if err := q.Enqueue(context.Background(), "f", "down", []byte(`{}`)); err == nil {
		t.Fatal("Enqueue with Redis down succeeded")
	}
	takeErrors := func() float64 { return value(q.m.storeErrors.WithLabelValues("take")) }
	testkit.Eventually(t, wait, "a failed take", func() bool { return takeErrors() >= 1 })
	first := time.Now()
	testkit.Eventually(t, wait, "five failed takes", func() bool { return takeErrors() >= 5 })
	// Waits of 50, 100, 200 and 400 ms come between the five.
	if took := time.Since(first); took < 700*time.Millisecond {
		t.Errorf("five failed takes within %v: the workers spin", took)
	}

	srv.Start()
	testkit.Eventually(t, wait, "Enqueue working again", func() bool {
		return q.Enqueue(context.Background(), "f", "after", []byte(`{}`)) == nil
	})
	if c := f.next(t, wait); c.requestID != "after" {
		t.Errorf("got %+v, want the event enqueued after the restart", c)
	}
}
