package eventsource

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/sqstest"
)

func sqsSource(g *sqstest.Server, queueURL string) Config {
	return Config{Function: "fn", Type: TypeSQS, SQS: SQSConfig{QueueURL: queueURL, Endpoint: g.Endpoint, Region: "us-east-1"}}
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func TestSQSDeliversEveryMessage(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	q := g.CreateQueue(t, "orders", nil)
	want := bodies("m", 25)
	g.Send(t, q, want...)
	_, err := g.Client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("with-attrs"),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("order")}}})
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, "with-attrs")

	fn := &recorder{}
	m, _ := startManager(t, sqsSource(g, q), Function{Invoker: fn, Concurrency: 2}, nil)
	testkit.Eventually(t, 10*time.Second, "every message delivered", func() bool { return len(fn.deliveries()) == len(want) })
	testkit.Eventually(t, 10*time.Second, "every message deleted", func() bool { return g.Count(t, q) == 0 })
	for _, b := range want {
		if fn.deliveries()[b] < 1 {
			t.Errorf("%s not delivered", b)
		}
	}
	for _, n := range fn.sizes() {
		if n < 1 || n > 10 {
			t.Errorf("batch of %d, want 1-10", n)
		}
	}
	for _, r := range fn.records() {
		if r.EventSource != "aws:sqs" || r.EventSourceARN != "arn:aws:sqs:us-east-1:"+sqstest.Account+":orders" || r.AWSRegion != "us-east-1" {
			t.Errorf("record source %q %q %q", r.EventSource, r.EventSourceARN, r.AWSRegion)
		}
		if r.MessageId == "" || r.ReceiptHandle == "" || r.Md5OfBody == "" || r.Attributes["ApproximateReceiveCount"] != "1" ||
			r.Attributes["SentTimestamp"] == "" || r.Attributes["SenderId"] == "" || r.Attributes["ApproximateFirstReceiveTimestamp"] == "" {
			t.Errorf("record fields missing: %+v", r)
		}
		if r.Body == "with-attrs" {
			a := r.MessageAttributes["kind"]
			if a.DataType != "String" || a.StringValue == nil || *a.StringValue != "order" {
				t.Errorf("message attribute: %+v", a)
			}
		}
	}
	// The gauge is read when the source opens, before its first receive,
	// then every 10s.
	if got := metric(t, m, "lag_messages"); got != float64(len(want)) {
		t.Errorf("lag metric %v, want %d", got, len(want))
	}
	testkit.Eventually(t, 5*time.Second, "the deleted metric at every message", func() bool {
		return metric(t, m, "messages_deleted_total") == float64(len(want))
	})
}

func TestSQSBatchingWindow(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	q := g.CreateQueue(t, "window", nil)
	g.Send(t, q, bodies("w", 25)...)
	fn := &recorder{}
	cfg := sqsSource(g, q)
	cfg.BatchSize, cfg.MaximumBatchingWindow = 20, time.Second
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, nil)
	testkit.Eventually(t, 10*time.Second, "every message delivered", func() bool { return len(fn.deliveries()) == 25 })
	sizes := fn.sizes()
	if len(sizes) != 2 || sizes[0] != 20 || sizes[1] != 5 {
		t.Errorf("batch sizes %v, want [20 5]: the window gathers past one receive of 10", sizes)
	}
}

func TestSQSPartialBatchFailure(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	q := g.CreateQueue(t, "partial", map[string]string{"VisibilityTimeout": "2"})
	g.Send(t, q, bodies("p", 6)...)
	fn := &recorder{}
	// goaws reports ApproximateReceiveCount 1 on every delivery, so the
	// function keeps its own count.
	seen := map[string]bool{}
	fn.handle = func(_ context.Context, ev *events.SQSEvent) ([]byte, error) {
		var failed []string
		for _, r := range ev.Records {
			// Odd messages fail their first delivery.
			n, _ := strconv.Atoi(strings.TrimPrefix(r.Body, "p"))
			if n%2 == 1 && !seen[r.Body] {
				failed = append(failed, r.MessageId)
			}
			seen[r.Body] = true
		}
		return failIDs(failed...), nil
	}
	cfg := sqsSource(g, q)
	cfg.BatchSize, cfg.MaximumBatchingWindow = 6, time.Second
	cfg.FunctionResponseTypes = []string{ReportBatchItemFailures}
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, nil)
	testkit.Eventually(t, 15*time.Second, "the failed messages delivered again and the queue empty", func() bool {
		d := fn.deliveries()
		return d["p1"] == 2 && d["p3"] == 2 && d["p5"] == 2 && g.Count(t, q) == 0
	})
	d := fn.deliveries()
	for _, b := range []string{"p0", "p2", "p4"} {
		if d[b] != 1 {
			t.Errorf("%s delivered %d times, want once: only the reported failures come back", b, d[b])
		}
	}
}

func TestSQSFailingFunctionGoesToDeadLetterQueue(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	dlq := g.CreateQueue(t, "orders-dlq", nil)
	q := g.CreateQueue(t, "doomed", map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"maxReceiveCount":"2","deadLetterTargetArn":"arn:aws:sqs:us-east-1:%s:orders-dlq"}`, sqstest.Account),
	})
	g.Send(t, q, "poison", "good")
	fn := &recorder{}
	fn.handle = func(_ context.Context, ev *events.SQSEvent) ([]byte, error) {
		for _, r := range ev.Records {
			if r.Body == "poison" {
				return failIDs(r.MessageId), nil
			}
		}
		return nil, nil
	}
	cfg := sqsSource(g, q)
	cfg.FunctionResponseTypes = []string{ReportBatchItemFailures}
	m, _ := startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, nil)
	testkit.Eventually(t, 20*time.Second, "the poison message in the dead-letter queue", func() bool {
		return g.Count(t, dlq) == 1 && g.Count(t, q) == 0
	})
	if d := fn.deliveries(); d["good"] != 1 || d["poison"] < 2 {
		t.Errorf("deliveries %v: want good once, poison at least twice", d)
	}
	if got := metric(t, m, "messages_failed_total"); got < 2 {
		t.Errorf("failed metric %v, want at least 2", got)
	}
}

func TestSQSFunctionErrorLeavesBatch(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	q := g.CreateQueue(t, "errors", map[string]string{"VisibilityTimeout": "2"})
	g.Send(t, q, "e0", "e1")
	fn := &recorder{}
	var calls int
	fn.handle = func(_ context.Context, ev *events.SQSEvent) ([]byte, error) {
		calls++
		if calls == 1 {
			return nil, backend.NewFunctionError("Error", "boom")
		}
		return nil, nil
	}
	cfg := sqsSource(g, q)
	cfg.MaximumBatchingWindow = time.Second
	startManager(t, cfg, Function{Invoker: fn, Concurrency: 1}, nil)
	testkit.Eventually(t, 15*time.Second, "the batch delivered again after the error, then deleted", func() bool {
		d := fn.deliveries()
		return d["e0"] == 2 && d["e1"] == 2 && g.Count(t, q) == 0
	})
}

func TestSQSOversizeMessage(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	dlq := g.CreateQueue(t, "big-dlq", nil)
	// The visibility timeout outlasts the encoding of a 6 MB record under
	// the race detector, so that the small message is deleted before it
	// could come back.
	q := g.CreateQueue(t, "big", map[string]string{
		"VisibilityTimeout":  "4",
		"MaximumMessageSize": strconv.Itoa(8 << 20),
		"RedrivePolicy":      fmt.Sprintf(`{"maxReceiveCount":"1","deadLetterTargetArn":"arn:aws:sqs:us-east-1:%s:big-dlq"}`, sqstest.Account),
	})
	g.Send(t, q, strings.Repeat("x", lambdalimit.RequestBytes), "small")
	fn := &recorder{}
	m, logs := startManager(t, sqsSource(g, q), Function{Invoker: fn, Concurrency: 1}, nil)
	if !testkit.Poll(20*time.Second, func() bool {
		return fn.deliveries()["small"] == 1 && g.Count(t, dlq) == 1 && g.Count(t, q) == 0
	}) {
		t.Fatalf("gave up waiting for the small message delivered and the large one redriven: deliveries %v, dlq %d, queue %d, logs %v",
			fn.deliveries()["small"], g.Count(t, dlq), g.Count(t, q), logs.All())
	}
	if n := len(fn.deliveries()); n != 1 {
		t.Errorf("%d bodies delivered, want only the small one", n)
	}
	if logs.FilterMessageSnippet("too large").Len() == 0 {
		t.Error("no log line for the message too large")
	}
	if got := metric(t, m, "messages_failed_total"); got < 1 {
		t.Errorf("failed metric %v, want at least 1", got)
	}
}

func TestSQSQueueCreatedLater(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	fn := &recorder{}
	m, logs := startManager(t, sqsSource(g, g.QueueURL("later")), Function{Invoker: fn, Concurrency: 1}, nil)
	testkit.Eventually(t, 5*time.Second, "the missing queue reported", func() bool {
		return logs.FilterMessageSnippet("unavailable").Len() > 0
	})
	errs := metric(t, m, "poll_errors_total")
	q := g.CreateQueue(t, "later", nil)
	g.Send(t, q, "hello")
	testkit.Eventually(t, 15*time.Second, "the message delivered once the queue exists", func() bool {
		return fn.deliveries()["hello"] == 1
	})
	// Backoff, not a spin: a handful of attempts in the seconds above.
	if errs > 20 {
		t.Errorf("%v failed attempts before the queue existed, want a backoff", errs)
	}
	if logs.FilterMessageSnippet("available again").Len() == 0 {
		t.Error("no log line for the recovery")
	}
}

func TestSQSScalesPollers(t *testing.T) {
	t.Parallel()
	g := sqstest.Start(t)
	q := g.CreateQueue(t, "busy", nil)
	g.Send(t, q, bodies("b", 60)...)
	release := make(chan struct{})
	fn := &recorder{}
	fn.handle = func(ctx context.Context, _ *events.SQSEvent) ([]byte, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nil, nil
	}
	m, _ := startManager(t, sqsSource(g, q), Function{Invoker: fn, Concurrency: 3}, nil)
	testkit.Eventually(t, 10*time.Second, "three batches in flight", func() bool { return metric(t, m, "batches_in_flight") == 3 })
	if got := metric(t, m, "pollers"); got != 3 {
		t.Errorf("pollers %v, want 3 (the concurrency)", got)
	}
	close(release)
	testkit.Eventually(t, 15*time.Second, "every message delivered", func() bool { return len(fn.deliveries()) == 60 })
	if got := slices.Max(fn.sizes()); got != 10 {
		t.Errorf("largest batch %d, want 10", got)
	}
}
