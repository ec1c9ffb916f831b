package async

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit/redistest"
)

// invokerFunc is a function written in the test: the backend contract is
// the interface, so a func is a backend.
type invokerFunc func(ctx context.Context, inv *backend.Invocation) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	out, err := f(ctx, inv)
	return append(dst, out...), err
}

// call is one invocation a recorder saw.
type call struct {
	at        time.Time
	requestID string
	event     string
}

// recorder records the invocations of one function and answers each with
// answer(n), n counting from 1.
type recorder struct {
	mu     sync.Mutex
	calls  []call
	answer func(n int, inv *backend.Invocation) ([]byte, error)
	seen   chan call
}

func newRecorder(answer func(n int, inv *backend.Invocation) ([]byte, error)) *recorder {
	if answer == nil {
		answer = func(int, *backend.Invocation) ([]byte, error) { return []byte(`{"ok":true}`), nil }
	}
	return &recorder{answer: answer, seen: make(chan call, 1000)}
}

func (r *recorder) Invoke(_ context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	c := call{at: time.Now(), requestID: inv.RequestID, event: string(inv.Event)}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	n := len(r.calls)
	r.mu.Unlock()
	r.seen <- c
	out, err := r.answer(n, inv)
	return append(dst, out...), err
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// next waits for the recorder's next call.
func (r *recorder) next(t *testing.T, within time.Duration) call {
	t.Helper()
	select {
	case c := <-r.seen:
		return c
	case <-time.After(within):
		t.Fatalf("no invocation within %v", within)
		return call{}
	}
}

// none checks that no call is pending now.
func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-r.seen:
		t.Fatalf("unexpected invocation %+v", c)
	default:
	}
}

// fastSettings are Lambda's rules on a millisecond scale.
func fastSettings() Settings {
	return Settings{
		Workers:      4,
		RetryDelays:  []time.Duration{30 * time.Millisecond, 60 * time.Millisecond},
		Backoff:      Backoff{Min: 2 * time.Millisecond, Max: 20 * time.Millisecond},
		ClaimTimeout: 300 * time.Millisecond,
	}
}

func intp(n int) *int { return &n }

const testARN = "arn:aws:lambda:us-east-1:123456789012:function:"

// fn makes a Function around inv with its ARN named after name.
func fn(name string, inv backend.Invoker, cfg *Config) Function {
	return Function{Invoker: inv, ARN: testARN + name, Config: cfg}
}

// storeKind makes a store for a test.
type storeKind struct {
	name string
	make func(t *testing.T) Store
}

func storeKinds() []storeKind {
	return []storeKind{
		{"memory", func(*testing.T) Store { return NewMemoryStore(100, 0) }},
		{"redis", func(t *testing.T) Store {
			srv := redistest.Start(t)
			return NewRedisStore(newClient(t, srv.URL), "test")
		}},
	}
}

func newClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	opt.DialTimeout = 200 * time.Millisecond
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// startQueue starts a queue over store with fns, closing it at cleanup.
func startQueue(t *testing.T, s Settings, store Store, fns map[string]Function, log *zap.Logger) *Queue {
	t.Helper()
	q := New(s, store, log)
	q.SetFunctions(fns)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		q.Close(ctx)
	})
	return q
}

func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.InfoLevel)
	return zap.New(core), logs
}

// clock is a settable offset added to the real time, for a queue's now.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) add(d time.Duration) { c.offset.Add(int64(d)) }
