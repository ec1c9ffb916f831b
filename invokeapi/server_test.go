package invokeapi

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/builtin"
)

// The account, region and key of the tests.
const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testKey     = "AKIDPORTICOTEST"
	testSecret  = "portico-test-secret"
)

// funcInvoker adapts a function to backend.Invoker.
type funcInvoker func(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error)

func (f funcInvoker) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	return f(ctx, inv, dst)
}

// testFunctions are the functions of the tests: the real builtins, and
// small invokers for what the builtins never do.
func testFunctions(t *testing.T) map[string]Function {
	t.Helper()
	mock, err := builtin.NewMock(map[string]any{"statusCode": 418, "body": "short and stout"})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Function{
		"echo": {Invoker: builtin.Echo{}, Description: backend.Description{Backend: "builtin", Handler: "echo",
			Timeout: 3 * time.Second, MemoryMB: 128, Environment: map[string]string{"GREETING": "hi"}}},
		"teapot": {Invoker: mock, Description: backend.Description{Backend: "builtin", Handler: "mock"}},
		"fails": {Invoker: funcInvoker(func(context.Context, *backend.Invocation, []byte) ([]byte, error) {
			return nil, backend.NewFunctionError("errorString", "boom")
		})},
		"busy": {Invoker: funcInvoker(func(context.Context, *backend.Invocation, []byte) ([]byte, error) {
			return nil, &backend.InvokeError{Kind: backend.KindThrottled}
		})},
		"down": {Invoker: funcInvoker(func(context.Context, *backend.Invocation, []byte) ([]byte, error) {
			return nil, &backend.InvokeError{Kind: backend.KindUnavailable, Err: errors.New("connection refused")}
		})},
		"late": {Description: backend.Description{Timeout: time.Second},
			Invoker: funcInvoker(func(context.Context, *backend.Invocation, []byte) ([]byte, error) {
				return nil, &backend.InvokeError{Kind: backend.KindTimeout}
			})},
		"logs": {Invoker: funcInvoker(func(_ context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
			if inv.LogTail != nil {
				inv.LogTail.Write([]byte("START RequestId: " + inv.RequestID + "\nhello from logs\n"))
			}
			return append(dst, `"logged"`...), nil
		})},
		"context": {Invoker: funcInvoker(func(_ context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
			if inv.ClientContext == nil {
				return append(dst, "null"...), nil
			}
			return append(dst, inv.ClientContext...), nil
		})},
	}
}

// recordingQueue is a Queue that keeps what it is given, or answers err.
type recordingQueue struct {
	mu     sync.Mutex
	err    error
	events []queuedEvent
}

type queuedEvent struct {
	function, requestID string
	payload             []byte
}

func (q *recordingQueue) Enqueue(_ context.Context, function, requestID string, payload []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.events = append(q.events, queuedEvent{function, requestID, payload})
	return nil
}

func (q *recordingQueue) got() []queuedEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queuedEvent(nil), q.events...)
}

// startServer serves s on a free 127.0.0.1 port until the test ends and
// returns its base URL.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(defaultDrainTimeout + 5*time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return "http://" + ln.Addr().String()
}

// newSigned starts a server that takes only requests signed with the test
// key, and returns it with its URL and queue.
func newSigned(t *testing.T, opts ...Option) (*Server, string, *recordingQueue) {
	t.Helper()
	q := &recordingQueue{}
	cfg := &Config{Listen: "127.0.0.1:0", Credentials: []Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}}
	s := New(cfg, testFunctions(t), q, append([]Option{WithRegion(testRegion), WithAccount(testAccount)}, opts...)...)
	return s, startServer(t, s), q
}

// sdkClient is a Lambda client of the AWS SDK for Go v2 for the server at
// url, signing with key and secret, or unsigned when key is empty. It does
// not retry, so a refusal reaches the test as the SDK reports it.
func sdkClient(url, key, secret string) *lambda.Client {
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if key != "" {
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, Source: "test"}, nil
		})
	}
	return lambda.NewFromConfig(aws.Config{Region: testRegion, Credentials: creds}, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = aws.NopRetryer{}
	})
}
