package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
	"github.com/portico/portico/internal/testkit/sqstest"
)

// TestQueuedEventsSurviveSIGKILL: events accepted (202) by a gateway whose
// queue is in Redis are all delivered, at least once, although the gateway
// is killed with SIGKILL while most of them wait and some run; its restart
// takes its own unfinished events back.
func TestQueuedEventsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary twice")
	}
	const events = 40
	bin := testkit.PorticoBinary(t)
	redis := redistest.Start(t)

	// The function: an Invoke API endpoint that takes 50 ms per event and
	// counts each event id it receives.
	var mu sync.Mutex
	delivered := map[string]int{}
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(50 * time.Millisecond) // the function's own work
		mu.Lock()
		delivered[string(body)]++
		mu.Unlock()
		io.WriteString(w, `"done"`) //nolint:errcheck
	}))
	defer fn.Close()
	count := func() (distinct, total int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range delivered {
			distinct++
			total += n
		}
		return distinct, total
	}

	invokePort, admin := testkit.FreePort(t), testkit.FreePort(t)
	config := filepath.Join(t.TempDir(), "portico.yaml")
	writeFile(t, config, fmt.Sprintf(`
listen: 127.0.0.1:0
admin: 127.0.0.1:%d
log: {level: info, access: false}
redis: {url: %q, timeout: 1s}
async: {workers: 2, claimTimeout: 1m}
invokeApi: {listen: 127.0.0.1:%d}
functions:
  worker: {backend: http, url: %q}
`, admin, redis.URL, invokePort, fn.URL))

	start := func() *served {
		s := startPortico(t, bin, nil, "serve", "--config", config)
		waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", admin), s.exited)
		return s
	}

	first := start()
	client := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(fmt.Sprintf("http://127.0.0.1:%d", invokePort))
		o.Retryer = aws.NopRetryer{}
	})
	ctx := context.Background()
	for i := range events {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(fmt.Sprintf(`{"event":%d}`, i)),
		})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event %d: %v (status %v)", i, err, out)
		}
	}
	testkit.Eventually(t, 10*time.Second, "a few events delivered before the kill", func() bool { d, _ := count(); return d >= 3 })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killedAt, _ := count()
	if killedAt == events {
		t.Fatalf("all %d events were delivered before the kill: the test proves nothing", events)
	}
	t.Logf("%d of %d events delivered when the gateway was killed", killedAt, events)

	start()
	testkit.Eventually(t, 30*time.Second, "every event delivered after the restart", func() bool { d, _ := count(); return d == events })
	_, total := count()
	t.Logf("%d deliveries for %d events (at least once: a duplicate is the event the kill interrupted)", total, events)
}

// TestEventSourceMessagesSurviveSIGKILL: messages on an SQS queue (goaws)
// and on a Redis stream are all delivered to their function, at least
// once, although the gateway polling them is killed with SIGKILL
// mid-stream and restarted: what it had taken comes back after the
// visibility timeout.
func TestEventSourceMessagesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary twice per source")
	}
	bin := testkit.PorticoBinary(t)
	redis := redistest.Start(t)
	sqsServer := sqstest.Start(t)
	t.Run("sqs", func(t *testing.T) {
		queue := sqsServer.CreateQueue(t, "orders", map[string]string{"VisibilityTimeout": "2"})
		killMidStream(t, bin, redis.URL,
			fmt.Sprintf("{function: orders, type: sqs, queueUrl: %q, endpoint: %q, region: us-east-1, batchSize: 2}", queue, sqsServer.Endpoint),
			func(body string) { sqsServer.Send(t, queue, body) })
	})
	t.Run("redis", func(t *testing.T) {
		rdb := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redis.Port)})
		defer rdb.Close()
		killMidStream(t, bin, redis.URL,
			"{function: orders, type: redis, stream: orders, group: portico, batchSize: 2, visibilityTimeout: 2s}",
			func(body string) {
				if err := rdb.XAdd(context.Background(), &goredis.XAddArgs{Stream: "orders", Values: map[string]any{"body": body}}).Err(); err != nil {
					t.Fatal(err)
				}
			})
	})
}

// killMidStream sends 30 messages with send, serves a config whose one
// event source is source, kills the gateway with SIGKILL once a few
// messages are delivered, restarts it, and waits for every message.
func killMidStream(t *testing.T, bin, redisURL, source string, send func(body string)) {
	const messages = 30
	// The function: takes 100 ms per batch and counts each message body.
	var mu sync.Mutex
	delivered := map[string]int{}
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch struct {
			Records []struct {
				Body string `json:"body"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		time.Sleep(100 * time.Millisecond) // the function's own work
		mu.Lock()
		for _, rec := range batch.Records {
			delivered[rec.Body]++
		}
		mu.Unlock()
		io.WriteString(w, `{}`) //nolint:errcheck
	}))
	defer fn.Close()
	distinct := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered)
	}
	config := filepath.Join(t.TempDir(), "portico.yaml")
	writeFile(t, config, fmt.Sprintf(`
listen: 127.0.0.1:%d
admin: ""
log: {level: info, access: false}
redis: {url: %q, timeout: 1s}
functions:
  orders: {backend: http, url: %q, concurrency: 2}
eventSources:
  - %s
`, testkit.FreePort(t), redisURL, fn.URL, source))
	for i := range messages {
		send(fmt.Sprintf("message-%d", i))
	}
	env := []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull}
	first := startPortico(t, bin, env, "serve", "--config", config)
	testkit.Eventually(t, 20*time.Second, "a few messages delivered", func() bool { return distinct() >= 2 })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	killedAt := distinct()
	if killedAt == messages {
		t.Fatal("everything was delivered before the kill: the test proves nothing")
	}
	t.Logf("%d of %d messages delivered at the kill", killedAt, messages)
	startPortico(t, bin, env, "serve", "--config", config)
	testkit.Eventually(t, 60*time.Second, "every message delivered after the restart", func() bool { return distinct() == messages })
}
