package eventsource

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/goccy/go-json"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
)

func TestMain(m *testing.M) {
	// The AWS SDK reads credentials from the environment, as in
	// production; SQS-compatible servers accept any. Shared files of the
	// machine stay out of the tests.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	// go-redis logs every failed dial of the tests that stop Redis.
	redis.SetLogger(quietRedis{})
	os.Exit(m.Run())
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// recorder is a function that records the batches it is invoked with
// and answers what handle says (nil: success).
type recorder struct {
	mu      sync.Mutex
	batches []events.SQSEvent
	calls   atomic.Int64
	handle  func(ctx context.Context, ev *events.SQSEvent) ([]byte, error)
}

var _ backend.Invoker = (*recorder)(nil)

func (r *recorder) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(inv.Event, &ev); err != nil {
		return nil, fmt.Errorf("event does not decode: %v", err)
	}
	if inv.RequestID == "" {
		return nil, fmt.Errorf("invocation without a request id")
	}
	r.mu.Lock()
	r.batches = append(r.batches, ev)
	r.mu.Unlock()
	r.calls.Add(1)
	if r.handle != nil {
		return r.handle(ctx, &ev)
	}
	return append(dst, "null"...), nil
}

// deliveries counts the deliveries of each body.
func (r *recorder) deliveries() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, b := range r.batches {
		for _, m := range b.Records {
			n[m.Body]++
		}
	}
	return n
}

// sizes lists the sizes of the batches so far.
func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []int
	for _, b := range r.batches {
		s = append(s, len(b.Records))
	}
	return s
}

// records returns every record delivered so far.
func (r *recorder) records() []events.SQSMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.SQSMessage
	for _, b := range r.batches {
		out = append(out, b.Records...)
	}
	return out
}

// failIDs is a partial batch response naming ids.
func failIDs(ids ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"batchItemFailures":[`)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"itemIdentifier":%q}`, id)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// startManager builds and starts a manager for one source and closes it
// at cleanup; the logger's lines are returned for tests that read them.
func startManager(t *testing.T, cfg Config, fn Function, rdb *redis.Client) (*Manager, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	m, err := New([]Config{cfg}, map[string]Function{cfg.Function: fn}, rdb,
		WithLogger(zap.New(core)), WithRegion("us-east-1"), WithConsumerName("test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m, logs
}

// metric reads one metric of the manager's only source.
func metric(t *testing.T, m *Manager, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "portico_eventsource_"+name {
			for _, mm := range f.GetMetric() {
				if c := mm.GetCounter(); c != nil {
					return c.GetValue()
				}
				return mm.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
