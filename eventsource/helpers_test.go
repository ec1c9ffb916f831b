package eventsource

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/goccy/go-json"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
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
	code := m.Run()
	if goawsDir != "" {
		os.RemoveAll(goawsDir)
	}
	os.Exit(code)
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// goawsModule is the SQS-compatible server the tests run: a Go clone of
// SQS that speaks the AWS SDK's JSON protocol, built once per test binary.
const goawsModule = "github.com/Admiral-Piett/goaws/app/cmd@v0.5.4"

// goawsAccount is the account of goaws's queue URLs and ARNs.
const goawsAccount = "100010001000"

var (
	goawsOnce sync.Once
	goawsDir  string
	goawsPath string
	goawsErr  error
)

// goawsBinary builds goaws once and returns its path. Without it (no
// module proxy, no Go toolchain) the test is skipped, except under
// CI=true, where it fails: CI must run the SQS tests.
func goawsBinary(t *testing.T) string {
	t.Helper()
	goawsOnce.Do(func() {
		goawsDir, goawsErr = os.MkdirTemp("", "goaws-bin-")
		if goawsErr != nil {
			return
		}
		cmd := exec.Command("go", "install", goawsModule)
		cmd.Env = append(os.Environ(), "GOBIN="+goawsDir, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			goawsErr = fmt.Errorf("go install %s: %v\n%s", goawsModule, err, out)
			return
		}
		goawsPath = filepath.Join(goawsDir, "cmd")
	})
	if goawsErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("goaws could not be built: CI=true requires it: %v", goawsErr)
		}
		t.Skipf("goaws could not be built, skipping the SQS tests (under CI=true they fail instead): %v", goawsErr)
	}
	return goawsPath
}

// goaws is a running goaws server.
type goaws struct {
	endpoint string
	client   *sqs.Client
}

// startGoaws starts a goaws server on a free port for the test, with no
// queues, and stops it at cleanup.
func startGoaws(t *testing.T) *goaws {
	t.Helper()
	bin := goawsBinary(t)
	port := testkit.FreePort(t)
	conf := filepath.Join(t.TempDir(), "goaws.yaml")
	yaml := fmt.Sprintf(`Local:
  Host: 127.0.0.1
  Port: %d
  Region: us-east-1
  AccountId: "%s"
  QueueAttributeDefaults:
    VisibilityTimeout: 30
    ReceiveMessageWaitTimeSeconds: 0
    MaximumMessageSize: 262144
`, port, goawsAccount)
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-config", conf, "-loglevel", "error", "Local")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("goaws output:\n%s", out.String())
		}
	})
	g := &goaws{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if !testkit.Poll(10*time.Second, func() bool {
		resp, err := http.Get(g.endpoint + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("goaws did not answer within 10s:\n%s", out.String())
	}
	g.client = sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(g.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return g
}

// queueURL is the URL of the named queue.
func (g *goaws) queueURL(name string) string {
	return g.endpoint + "/" + goawsAccount + "/" + name
}

// createQueue creates a queue with the given attributes and returns its URL.
func (g *goaws) createQueue(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	if _, err := g.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}); err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return g.queueURL(name)
}

// send sends bodies to the queue, ten at a time.
func (g *goaws) send(t *testing.T, queueURL string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := g.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

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
