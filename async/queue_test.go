package async

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
)

const wait = 5 * time.Second

var timestampRE = regexp.MustCompile(`"timestamp":"([^"]*)"`)

// checkRecord compares a destination record byte for byte with the one
// expected, whose timestamp must lie between from and to.
func checkRecord(t *testing.T, got string, from, to time.Time, id, function, cond string, count int, payload, response string) {
	t.Helper()
	m := timestampRE.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("record without timestamp: %s", got)
	}
	ts, err := time.Parse("2006-01-02T15:04:05.000Z", m[1])
	if err != nil {
		t.Fatalf("timestamp %q: %v", m[1], err)
	}
	if ts.Before(from.Truncate(time.Millisecond)) || ts.After(to) {
		t.Errorf("timestamp %v, want between %v and %v", ts, from, to)
	}
	want := `{"version":"1.0","timestamp":"` + m[1] + `","requestContext":{"requestId":"` + id +
		`","functionArn":"` + testARN + function + `:$LATEST","condition":"` + cond +
		`","approximateInvokeCount":` + fmt.Sprint(count) + `},"requestPayload":` + payload + response + `}`
	if got != want {
		t.Errorf("record:\n got %s\nwant %s", got, want)
	}
}

func TestRetriesOfFunctionErrors(t *testing.T) {
	for _, sk := range storeKinds() {
		t.Run(sk.name, func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				attempts *int
				want     int
			}{{"0 retries", intp(0), 1}, {"1 retry", intp(1), 2}, {"2 retries", intp(2), 3}, {"default", nil, 3}} {
				t.Run(tc.name, func(t *testing.T) {
					failing := newRecorder(func(n int, _ *backend.Invocation) ([]byte, error) {
						return nil, backend.NewFunctionError("Boom", fmt.Sprintf("boom %d", n))
					})
					dlq := newRecorder(nil)
					s := fastSettings()
					q := startQueue(t, s, sk.make(t), map[string]Function{
						"f":   fn("f", failing, &Config{MaximumRetryAttempts: tc.attempts, OnFailure: &Destination{Function: "dlq"}}),
						"dlq": fn("dlq", dlq, nil),
					}, nil)
					start := time.Now()
					if err := q.Enqueue(context.Background(), "f", "req-1", []byte(`{"k":1}`)); err != nil {
						t.Fatal(err)
					}
					rec := dlq.next(t, wait)
					calls := failing.snapshot()
					if len(calls) != tc.want {
						t.Fatalf("got %d invocations, want %d", len(calls), tc.want)
					}
					for i, c := range calls {
						if c.requestID != "req-1" || c.event != `{"k":1}` {
							t.Errorf("invocation %d: got %+v", i, c)
						}
						if i > 0 {
							if gap, min := c.at.Sub(calls[i-1].at), s.RetryDelays[i-1]; gap < min {
								t.Errorf("retry %d came %v after the previous attempt, want at least %v", i, gap, min)
							}
						}
					}
					if rec.requestID == "req-1" || len(rec.requestID) != 36 {
						t.Errorf("record's request id %q: want a fresh UUID", rec.requestID)
					}
					checkRecord(t, rec.event, start, time.Now(), "req-1", "f", "RetriesExhausted", tc.want, `{"k":1}`,
						fmt.Sprintf(`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"boom %d","errorType":"Boom"}`, tc.want))
					if got := value(q.m.retries.WithLabelValues("f", outcomeFunctionError)); got != float64(tc.want-1) {
						t.Errorf("retries metric %v, want %d", got, tc.want-1)
					}
					testkit.Eventually(t, wait, "the destination metric", func() bool {
						return value(q.m.destinations.WithLabelValues("f", "RetriesExhausted")) == 1
					})
				})
			}
		})
	}
}

func TestSuccessRecord(t *testing.T) {
	for _, sk := range storeKinds() {
		t.Run(sk.name, func(t *testing.T) {
			f := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return []byte(`{"done":"yes"}`), nil })
			audit := newRecorder(nil)
			q := startQueue(t, fastSettings(), sk.make(t), map[string]Function{
				"f":     fn("f", f, &Config{OnSuccess: &Destination{Function: "audit"}, OnFailure: &Destination{Function: "nowhere"}}),
				"audit": fn("audit", audit, nil),
			}, nil)
			start := time.Now()
			if err := q.Enqueue(context.Background(), "f", "req-ok", []byte(`["a",1]`)); err != nil {
				t.Fatal(err)
			}
			rec := audit.next(t, wait)
			checkRecord(t, rec.event, start, time.Now(), "req-ok", "f", "Success", 1, `["a",1]`,
				`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":{"done":"yes"}`)
			if got := value(q.m.invocations.WithLabelValues("f", outcomeSuccess)); got != 1 {
				t.Errorf("success metric %v, want 1", got)
			}
			// The record's own success has no destination: nothing more.
			testkit.Eventually(t, wait, "an empty queue", func() bool {
				st, err := q.Stats(context.Background())
				return err == nil && len(st) == 0
			})
			audit.none(t)
		})
	}
}

// A throttled event is tried again, the waits growing, until its age
// passes: then onFailure gets EventAgeExceeded, without a response.
func TestThrottleUntilEventAge(t *testing.T) {
	for _, sk := range storeKinds() {
		t.Run(sk.name, func(t *testing.T) {
			throttled := newRecorder(func(int, *backend.Invocation) ([]byte, error) {
				return nil, &backend.InvokeError{Kind: backend.KindThrottled}
			})
			dlq := newRecorder(nil)
			const age = 200 * time.Millisecond
			s := fastSettings()
			q := startQueue(t, s, sk.make(t), map[string]Function{
				"f":   fn("f", throttled, &Config{MaximumEventAge: age, OnFailure: &Destination{Function: "dlq"}}),
				"dlq": fn("dlq", dlq, nil),
			}, nil)
			start := time.Now()
			if err := q.Enqueue(context.Background(), "f", "req-t", []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			rec := dlq.next(t, wait)
			took := time.Since(start)
			calls := throttled.snapshot()
			if took < age-s.Backoff.Max {
				t.Errorf("dropped after %v, want at least the age %v less one backoff", took, age)
			}
			// 2+4+8+16 ms, then 20 ms each: about 12 attempts in 200 ms.
			if len(calls) < 5 || len(calls) > 20 {
				t.Errorf("got %d attempts in %v, want between 5 and 20", len(calls), age)
			}
			for i := 2; i < len(calls); i++ {
				if gap := calls[i].at.Sub(calls[i-1].at); gap < s.Backoff.Min {
					t.Errorf("attempt %d came %v after the previous one, want at least %v", i, gap, s.Backoff.Min)
				}
			}
			checkRecord(t, rec.event, start, time.Now(), "req-t", "f", "EventAgeExceeded", len(calls), `{}`, "")
			// Each attempt but the first is a retry; the last requeue may
			// also find the event too old when it is taken, uninvoked.
			if got := value(q.m.retries.WithLabelValues("f", outcomeThrottled)); got != float64(len(calls)-1) && got != float64(len(calls)) {
				t.Errorf("retries metric %v, want %d or %d", got, len(calls)-1, len(calls))
			}
		})
	}
}

// System errors are requeued like throttles; the event then succeeds.
func TestSystemErrorThenSuccess(t *testing.T) {
	flaky := newRecorder(func(n int, _ *backend.Invocation) ([]byte, error) {
		switch n {
		case 1:
			return nil, &backend.InvokeError{Kind: backend.KindUnavailable, Err: errors.New("connection refused")}
		case 2:
			return nil, errors.New("an invoker's own error: a system error too")
		}
		return []byte(`1`), nil
	})
	audit := newRecorder(nil)
	q := startQueue(t, fastSettings(), NewMemoryStore(10, 0), map[string]Function{
		"f":     fn("f", flaky, &Config{MaximumRetryAttempts: intp(0), OnSuccess: &Destination{Function: "audit"}}),
		"audit": fn("audit", audit, nil),
	}, nil)
	start := time.Now()
	q.Enqueue(context.Background(), "f", "req-s", []byte(`{}`))
	rec := audit.next(t, wait)
	checkRecord(t, rec.event, start, time.Now(), "req-s", "f", "Success", 3, `{}`,
		`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":1`)
	if got := value(q.m.invocations.WithLabelValues("f", outcomeSystemError)); got != 2 {
		t.Errorf("system_error metric %v, want 2", got)
	}
}

// A function past its timeout (an http or lambda function's timeout, which
// bounds the wait for it) failed, as spec A.4 counts it: a function error,
// retried as one, with Lambda's Sandbox.Timedout document in the record.
func TestTimeoutIsAFunctionError(t *testing.T) {
	slow := newRecorder(func(int, *backend.Invocation) ([]byte, error) {
		return nil, &backend.InvokeError{Kind: backend.KindTimeout, Err: errors.New("no answer within 3s")}
	})
	dlq := newRecorder(nil)
	f := fn("f", slow, &Config{MaximumRetryAttempts: intp(1), OnFailure: &Destination{Function: "dlq"}})
	f.Timeout = 3 * time.Second
	q := startQueue(t, fastSettings(), NewMemoryStore(10, 0), map[string]Function{"f": f, "dlq": fn("dlq", dlq, nil)}, nil)
	start := time.Now()
	q.Enqueue(context.Background(), "f", "req-to", []byte(`{}`))
	rec := dlq.next(t, wait)
	checkRecord(t, rec.event, start, time.Now(), "req-to", "f", "RetriesExhausted", 2, `{}`,
		`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"RequestId: req-to Error: Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}`)
	if got := value(q.m.invocations.WithLabelValues("f", outcomeFunctionError)); got != 2 {
		t.Errorf("function_error metric %v, want 2", got)
	}
}

// An event older than its maximum age when taken is not invoked.
func TestExpiredBeforeInvocation(t *testing.T) {
	for _, sk := range storeKinds() {
		t.Run(sk.name, func(t *testing.T) {
			f := newRecorder(nil)
			dlq := newRecorder(nil)
			var c clock
			q := New(fastSettings(), sk.make(t), nil)
			q.now = c.now
			q.SetFunctions(map[string]Function{
				"f":   fn("f", f, &Config{MaximumEventAge: time.Minute, OnFailure: &Destination{Function: "dlq"}}),
				"dlq": fn("dlq", dlq, nil),
			})
			if err := q.Enqueue(context.Background(), "f", "req-old", []byte(`{"n":1}`)); err != nil {
				t.Fatal(err)
			}
			c.add(time.Minute)
			from := c.now()
			if err := q.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer q.Close(context.Background())
			rec := dlq.next(t, wait)
			checkRecord(t, rec.event, from, c.now(), "req-old", "f", "EventAgeExceeded", 0, `{"n":1}`, "")
			f.none(t)
			if got := value(q.m.invocations.WithLabelValues("f", outcomeExpired)); got != 1 {
				t.Errorf("expired metric %v, want 1", got)
			}
		})
	}
}

// A function error whose retry would come after the event's age ends the
// event at once, its record carrying the error.
func TestRetryPastEventAge(t *testing.T) {
	failing := newRecorder(func(int, *backend.Invocation) ([]byte, error) {
		return nil, backend.NewFunctionError("Runtime.ExitError", "exit 1")
	})
	dlq := newRecorder(nil)
	s := fastSettings()
	s.RetryDelays = []time.Duration{time.Hour}
	q := startQueue(t, s, NewMemoryStore(10, 0), map[string]Function{
		"f":   fn("f", failing, &Config{MaximumEventAge: time.Minute, OnFailure: &Destination{Function: "dlq"}}),
		"dlq": fn("dlq", dlq, nil),
	}, nil)
	start := time.Now()
	q.Enqueue(context.Background(), "f", "req-e", []byte(`"x"`))
	rec := dlq.next(t, wait)
	checkRecord(t, rec.event, start, time.Now(), "req-e", "f", "EventAgeExceeded", 1, `"x"`,
		`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"exit 1","errorType":"Runtime.ExitError"}`)
}

// A rejected or too large invocation cannot succeed later: onFailure at
// once.
func TestRejectedGoesToFailure(t *testing.T) {
	for _, tc := range []struct {
		kind   backend.Kind
		status string
		typ    string
	}{{backend.KindRejected, "400", "InvalidRequestContentException"}, {backend.KindTooLarge, "413", "RequestTooLargeException"}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			f := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return nil, &backend.InvokeError{Kind: tc.kind} })
			dlq := newRecorder(nil)
			q := startQueue(t, fastSettings(), NewMemoryStore(10, 0), map[string]Function{
				"f":   fn("f", f, &Config{OnFailure: &Destination{Function: "dlq"}}),
				"dlq": fn("dlq", dlq, nil),
			}, nil)
			start := time.Now()
			q.Enqueue(context.Background(), "f", "req-r", []byte(`{}`))
			rec := dlq.next(t, wait)
			checkRecord(t, rec.event, start, time.Now(), "req-r", "f", "RetriesExhausted", 1, `{}`,
				`,"responseContext":{"statusCode":`+tc.status+`,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"backend: invocation `+tc.kind.String()+`","errorType":"`+tc.typ+`"}`)
		})
	}
}

// Without a destination a failed event is logged and dropped.
func TestDroppedIsLogged(t *testing.T) {
	log, logs := observed()
	f := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return nil, backend.NewFunctionError("E", "e") })
	q := startQueue(t, fastSettings(), NewMemoryStore(10, 0), map[string]Function{
		"f": fn("f", f, &Config{MaximumRetryAttempts: intp(0)}),
	}, log)
	q.Enqueue(context.Background(), "f", "req-d", []byte(`{}`))
	testkit.Eventually(t, wait, "the drop logged", func() bool {
		for _, e := range logs.FilterMessageSnippet("event dropped").All() {
			m := e.ContextMap()
			return m["function"] == "f" && m["request_id"] == "req-d" && m["condition"] == "RetriesExhausted"
		}
		return false
	})
	if got := value(q.m.dropped.WithLabelValues("f", "RetriesExhausted")); got != 1 {
		t.Errorf("dropped metric %v, want 1", got)
	}
}

func TestEnqueueErrors(t *testing.T) {
	q := New(fastSettings(), NewMemoryStore(2, 0), nil)
	q.SetFunctions(map[string]Function{"f": fn("f", newRecorder(nil), nil)})
	ctx := context.Background()
	if err := q.Enqueue(ctx, "nope", "r0", nil); !errors.Is(err, ErrUnknownFunction) {
		t.Errorf("unknown function: got %v, want ErrUnknownFunction", err)
	}
	for i := range 2 {
		if err := q.Enqueue(ctx, "f", fmt.Sprint("r", i), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Enqueue(ctx, "f", "r3", []byte(`{}`)); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third event in a store of 2: got %v, want ErrQueueFull", err)
	}
	q.Close(ctx)
	if err := q.Enqueue(ctx, "f", "r4", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
	if err := q.Start(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: got %v, want ErrClosed", err)
	}
}

// The memory store's byte bound refuses a new event that would take its
// payloads past it, and frees its bytes as events leave.
func TestMemoryStoreBytesBound(t *testing.T) {
	m := NewMemoryStore(100, 10)
	ctx := context.Background()
	if err := m.Add(ctx, &Event{ID: "a", Function: "f", Payload: []byte("123456")}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(ctx, &Event{ID: "b", Function: "f", Payload: []byte("12345")}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("11 bytes in a store of 10: got %v, want ErrQueueFull", err)
	}
	taken, err := m.Take(ctx, []string{"f"}, 1)
	if err != nil || len(taken) != 1 {
		t.Fatalf("take: %v %v", taken, err)
	}
	if err := m.Ack(ctx, taken[0], nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(ctx, &Event{ID: "b", Function: "f", Payload: []byte("1234567890")}); err != nil {
		t.Errorf("after the first left, 10 bytes: %v", err)
	}
}

// A full memory store still takes the retries and the destination records
// of the events it holds.
func TestFullStoreKeepsRetriesAndRecords(t *testing.T) {
	failing := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return nil, backend.NewFunctionError("E", "e") })
	dlq := newRecorder(nil)
	s := fastSettings()
	q := startQueue(t, s, NewMemoryStore(1, 0), map[string]Function{
		"f":   fn("f", failing, &Config{OnFailure: &Destination{Function: "dlq"}}),
		"dlq": fn("dlq", dlq, nil),
	}, nil)
	if err := q.Enqueue(context.Background(), "f", "r1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	failing.next(t, wait)
	if err := q.Enqueue(context.Background(), "f", "r2", []byte(`{}`)); !errors.Is(err, ErrQueueFull) {
		t.Errorf("got %v, want ErrQueueFull while r1 waits for its retry", err)
	}
	dlq.next(t, wait)
	if n := len(failing.snapshot()); n != 3 {
		t.Errorf("got %d attempts, want 3", n)
	}
}

// Close delivers what is queued in memory, then reports what it could not.
func TestCloseDrainsMemory(t *testing.T) {
	log, logs := observed()
	slow := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return []byte(`{}`), nil })
	stuck := newRecorder(func(int, *backend.Invocation) ([]byte, error) { return nil, backend.NewFunctionError("E", "e") })
	s := fastSettings()
	s.RetryDelays = []time.Duration{time.Hour}
	q := New(s, NewMemoryStore(100, 0), log)
	q.SetFunctions(map[string]Function{"slow": fn("slow", slow, nil), "stuck": fn("stuck", stuck, nil)})
	for i := range 20 {
		q.Enqueue(context.Background(), "slow", fmt.Sprint("s", i), []byte(`{}`))
	}
	q.Enqueue(context.Background(), "stuck", "stuck-1", []byte(`{}`))
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: got %v, want the deadline (stuck waits an hour)", err)
	}
	if n := len(slow.snapshot()); n != 20 {
		t.Errorf("drained %d of 20 events", n)
	}
	left := logs.FilterMessageSnippet("left undelivered").All()
	if len(left) != 1 || left[0].ContextMap()["function"] != "stuck" || left[0].ContextMap()["events"] != int64(1) {
		t.Errorf("got reports %+v, want stuck: 1", left)
	}
}

// Events of a function dropped from the config stay and are reported;
// they run when it comes back.
func TestRemovedFunctionKeepsEvents(t *testing.T) {
	log, logs := observed()
	a := newRecorder(nil)
	q := startQueue(t, fastSettings(), NewMemoryStore(10, 0), map[string]Function{"a": fn("a", a, nil)}, log)
	q.SetFunctions(map[string]Function{"a": fn("a", a, nil), "b": fn("b", newRecorder(nil), nil)})
	// Enqueue while only b is configured is refused; so enqueue first.
	q.SetFunctions(map[string]Function{"b": fn("b", newRecorder(nil), nil)})
	if err := q.Enqueue(context.Background(), "a", "r", nil); !errors.Is(err, ErrUnknownFunction) {
		t.Fatalf("got %v, want ErrUnknownFunction", err)
	}
	store := NewMemoryStore(10, 0)
	q2 := New(fastSettings(), store, log)
	q2.SetFunctions(map[string]Function{"a": fn("a", a, nil)})
	q2.Enqueue(context.Background(), "a", "r-a", []byte(`{}`))
	q2.SetFunctions(map[string]Function{"b": fn("b", newRecorder(nil), nil)})
	reports := logs.FilterMessageSnippet("no longer configured").All()
	if len(reports) != 1 || reports[0].ContextMap()["function"] != "a" || reports[0].ContextMap()["events"] != int64(1) {
		t.Fatalf("got reports %+v, want a: 1", reports)
	}
	q2.Start(context.Background())
	defer q2.Close(context.Background())
	if got := gauge(t, q2, "portico_async_queue_depth", "a"); got != 1 {
		t.Errorf("depth of a: got %v, want 1", got)
	}
	a.none(t)
	q2.SetFunctions(map[string]Function{"a": fn("a", a, nil)})
	if c := a.next(t, wait); c.requestID != "r-a" {
		t.Errorf("got %+v", c)
	}
}

func TestStatsAndGauges(t *testing.T) {
	var c clock
	q := New(fastSettings(), NewMemoryStore(10, 0), nil)
	q.now = c.now
	q.SetFunctions(map[string]Function{"f": fn("f", newRecorder(nil), nil)})
	q.Enqueue(context.Background(), "f", "r1", []byte(`{}`))
	c.add(3 * time.Second)
	q.Enqueue(context.Background(), "f", "r2", []byte(`{}`))
	st, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := st["f"]; s.Depth != 2 || s.OldestAge < 3*time.Second || s.OldestAge > 4*time.Second {
		t.Errorf("stats %+v, want depth 2, oldest about 3s", s)
	}
	if got := gauge(t, q, "portico_async_queue_depth", "f"); got != 2 {
		t.Errorf("depth gauge %v, want 2", got)
	}
	if got := gauge(t, q, "portico_async_oldest_event_age_seconds", "f"); got < 3 || got > 4 {
		t.Errorf("oldest age gauge %v, want about 3", got)
	}
}

// gauge scrapes the queue's collector and returns the value of the
// series name{function}.
func gauge(t *testing.T, q *Queue, name, function string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(q.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "function" && l.GetValue() == function {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %s{function=%q}", name, function)
	return 0
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}
