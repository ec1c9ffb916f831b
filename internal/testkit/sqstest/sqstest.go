// Package sqstest starts a real SQS-compatible server for tests: goaws, a
// Go clone of SQS that speaks the AWS SDK's JSON protocol, built once per
// machine from the module proxy and run as a child process on a free
// 127.0.0.1 port. Tests of every package that polls SQS share it.
package sqstest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portico/portico/internal/testkit"
)

// module is the goaws release the tests run.
const module = "github.com/Admiral-Piett/goaws/app/cmd@v0.5.4"

// Account is the account of goaws's queue URLs and ARNs.
const Account = "100010001000"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds goaws once per machine (kept under the temp folder, named
// by its version) and returns its path. Without it (no module proxy, no Go
// toolchain) the test is skipped, except under CI=true, where it fails: CI
// must run the SQS tests.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "portico-goaws-v0.5.4")
		binPath = filepath.Join(dir, "cmd")
		if _, err := os.Stat(binPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", module)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go install %s: %v\n%s", module, err, out)
		}
	})
	if buildErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("goaws could not be built: CI=true requires it: %v", buildErr)
		}
		t.Skipf("goaws could not be built, skipping the SQS tests (under CI=true they fail instead): %v", buildErr)
	}
	return binPath
}

// Server is a running goaws.
type Server struct {
	Endpoint string
	Client   *sqs.Client
}

// Start starts a goaws server on a free port for the test, with no
// queues, and stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
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
`, port, Account)
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
		cmd.Process.Kill() //nolint:errcheck
		cmd.Wait()         //nolint:errcheck
		if t.Failed() {
			t.Logf("goaws output:\n%s", out.String())
		}
	})
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if !testkit.Poll(10*time.Second, func() bool {
		resp, err := http.Get(s.Endpoint + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("goaws did not answer within 10s:\n%s", out.String())
	}
	s.Client = sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return s
}

// QueueURL is the URL of the named queue.
func (s *Server) QueueURL(name string) string {
	return s.Endpoint + "/" + Account + "/" + name
}

// CreateQueue creates a queue with the given attributes and returns its URL.
func (s *Server) CreateQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	if _, err := s.Client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}); err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return s.QueueURL(name)
}

// Send sends bodies to the queue, one message each.
func (s *Server) Send(t testing.TB, queueURL string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := s.Client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

// Count is how many messages of the queue are visible or in flight.
func (s *Server) Count(t testing.TB, queueURL string) int {
	t.Helper()
	out, err := s.Client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	b, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return a + b
}
