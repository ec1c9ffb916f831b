package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
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

	start := func() (*exec.Cmd, <-chan struct{}, *strings.Builder) {
		var logs strings.Builder
		cmd := exec.Command(bin, "serve", "--config", config)
		out := &lockedWriter{w: &logs}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }() //nolint:errcheck
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", admin), exited)
		return cmd, exited, &logs
	}

	first, exited, _ := start()
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
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
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
