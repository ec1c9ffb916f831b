package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/async"
	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/internal/testkit/redistest"
)

var _ Enqueuer = (*async.Queue)(nil)

// enqueued is one call of Enqueue.
type enqueued struct {
	function, requestID string
	payload             []byte
}

// recorder is an Enqueuer that keeps what it is given, and fails while
// fail is set.
type recorder struct {
	mu   sync.Mutex
	got  []enqueued
	fail error
}

func (r *recorder) Enqueue(_ context.Context, function, requestID string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, enqueued{function, requestID, append([]byte(nil), payload...)})
	return nil
}

func (r *recorder) calls() []enqueued {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]enqueued(nil), r.got...)
}

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func start(t *testing.T, s *Scheduler) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
}

func TestSchedulerFiresScheduledEvents(t *testing.T) {
	clock := newFakeClock(from)
	rec := &recorder{}
	s, err := New([]Config{{Name: "tick", Function: "orders", Expression: "rate(1 minute)"}}, rec, nil,
		WithClock(clock), WithAccount("111122223333"), WithRegion("eu-west-3"))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	var ticks []time.Time
	for range 3 {
		ticks = append(ticks, clock.advance(t, 1))
	}
	clock.waitFor(t, 1)
	got := rec.calls()
	if len(got) != 3 {
		t.Fatalf("got %d invocations, want 3", len(got))
	}
	for i, c := range got {
		var ev struct {
			ID         string   `json:"id"`
			DetailType string   `json:"detail-type"`
			Account    string   `json:"account"`
			Region     string   `json:"region"`
			Time       string   `json:"time"`
			Resources  []string `json:"resources"`
		}
		if err := json.Unmarshal(c.payload, &ev); err != nil {
			t.Fatalf("payload %s: %v", c.payload, err)
		}
		if c.function != "orders" || !uuid.MatchString(c.requestID) || !uuid.MatchString(ev.ID) || ev.ID == c.requestID {
			t.Errorf("call %d: function %q, request id %q, event id %q", i, c.function, c.requestID, ev.ID)
		}
		if want := ticks[i].UTC().Format("2006-01-02T15:04:05Z"); ev.Time != want {
			t.Errorf("call %d: time %s, want %s", i, ev.Time, want)
		}
		if ev.Account != "111122223333" || ev.Region != "eu-west-3" ||
			len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:events:eu-west-3:111122223333:rule/tick" {
			t.Errorf("call %d: %s", i, c.payload)
		}
	}
	if ticks[0] != time.Date(2026, 2, 27, 10, 8, 0, 0, time.UTC) {
		t.Errorf("first tick %v, want 10:08:00Z", ticks[0])
	}
	if n := value(s.m.fires.WithLabelValues("tick")); n != 3 {
		t.Errorf("fires: got %v, want 3", n)
	}
}

func TestSchedulerInput(t *testing.T) {
	clock := newFakeClock(from)
	rec := &recorder{}
	s, err := New([]Config{{Name: "tick", Function: "f", Expression: "cron(* * * * ? *)",
		Input: map[string]any{"kind": "tick", "n": 1}}}, rec, nil, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	clock.advance(t, 1)
	clock.waitFor(t, 1)
	got := rec.calls()
	if len(got) != 1 || string(got[0].payload) != `{"kind":"tick","n":1}` {
		t.Fatalf("got %+v, want the input", got)
	}
}

// TestSchedulerMissedTicks: ticks that came due while the process was
// suspended are counted and not fired; a tick less than its grace late
// still fires.
func TestSchedulerMissedTicks(t *testing.T) {
	clock := newFakeClock(from) // 10:07:30
	rec := &recorder{}
	s, err := New([]Config{{Name: "m", Function: "f", Expression: "rate(1 minute)"}}, rec, nil, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	clock.waitFor(t, 1)
	clock.set(from.Add(11 * time.Minute)) // 10:18:30: 10:08 to 10:17 missed, 10:18 fires
	clock.waitFor(t, 1)
	got := rec.calls()
	if len(got) != 1 || !strings.Contains(string(got[0].payload), `"time":"2026-02-27T10:18:00Z"`) {
		t.Fatalf("got %d invocations (%v), want the 10:18 tick", len(got), got)
	}
	if n := value(s.m.skips.WithLabelValues("m", SkipMissed)); n != 10 {
		t.Errorf("missed: got %v, want 10", n)
	}
	clock.set(from.Add(13*time.Minute + 10*time.Second)) // 10:20:40: 10:19 missed, 10:20 fires
	clock.waitFor(t, 1)
	if got := rec.calls(); len(got) != 2 {
		t.Fatalf("got %d invocations, want 2", len(got))
	}
	if n := value(s.m.skips.WithLabelValues("m", SkipMissed)); n != 11 {
		t.Errorf("missed: got %v, want 11", n)
	}
}

func TestSchedulerEnqueueFailure(t *testing.T) {
	clock := newFakeClock(from)
	rec := &recorder{fail: async.ErrQueueFull}
	s, err := New([]Config{{Name: "x", Function: "f", Expression: "rate(1 minute)"}}, rec, nil, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	clock.advance(t, 1)
	clock.waitFor(t, 1)
	if n := value(s.m.failures.WithLabelValues("x")); n != 1 {
		t.Errorf("failures: got %v, want 1", n)
	}
}

func TestSchedulerSet(t *testing.T) {
	clock := newFakeClock(from)
	rec := &recorder{}
	keep := Config{Name: "keep", Function: "f", Expression: "rate(1 minute)"}
	change := Config{Name: "change", Function: "f", Expression: "rate(1 minute)"}
	drop := Config{Name: "drop", Function: "f", Expression: "rate(1 minute)"}
	s, err := New([]Config{keep, change, drop}, rec, nil, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	clock.waitFor(t, 3)
	before := s.jobs["keep"]
	change.Expression = "rate(2 minutes)"
	if err := s.Set([]Config{keep, change}); err != nil {
		t.Fatal(err)
	}
	if s.jobs["keep"] != before {
		t.Error("an unchanged schedule was restarted")
	}
	if _, ok := s.jobs["drop"]; ok {
		t.Error("a removed schedule is still there")
	}
	clock.advance(t, 4) // keep's and change's, and the stopped jobs' abandoned ones
	clock.waitFor(t, 2)
	// At 10:08, keep fires; change (every 2 minutes since the epoch)
	// fires at 10:08 too; drop does not.
	names := map[string]int{}
	for _, c := range rec.calls() {
		var ev struct{ Resources []string }
		json.Unmarshal(c.payload, &ev)
		names[ev.Resources[0][strings.LastIndex(ev.Resources[0], "/")+1:]]++
	}
	if names["keep"] != 1 || names["change"] != 1 || names["drop"] != 0 {
		t.Errorf("fired %v, want keep and change once", names)
	}
	if got := s.Next("change", 2); len(got) != 2 || got[0] != from.Add(150*time.Second) || got[1] != from.Add(270*time.Second) {
		t.Errorf("Next(change): got %v", got)
	}
	// An invalid set changes nothing.
	if err := s.Set([]Config{{Name: "keep", Function: "f", Expression: "rate(1 minutes)"}}); err == nil {
		t.Error("an invalid set: no error")
	}
	if s.jobs["keep"] != before || s.jobs["change"] == nil {
		t.Error("an invalid set changed the schedules")
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New([]Config{
		{Name: "a", Function: "f", Expression: "rate(1 minute)"},
		{Name: "a", Function: "g", Expression: "rate(1 hour)"},
		{Name: "b", Function: "f", Expression: "cron(0 10 * * * *)"},
	}, &recorder{}, nil)
	want := `schedule "a": name used twice` + "\n" +
		`schedule "b": expression: cron(0 10 * * * *): "*" in both day-of-month and day-of-week: one of them must be "?"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
}

// TestLocalLockerSharedOnce: two Schedulers sharing one LocalLocker fire
// each tick once between them.
func TestLocalLockerSharedOnce(t *testing.T) {
	fireOnce(t, func(*testing.T) Locker { return NewLocalLocker() }, true, 20)
}

// TestRedisFiresOnce: two Schedulers, each with its own client of one real
// redis-server, racing on every tick of the same clock, fire each tick
// exactly once between them.
func TestRedisFiresOnce(t *testing.T) {
	srv := redistest.Start(t)
	fireOnce(t, func(t *testing.T) Locker { return NewRedisLocker(newClient(t, srv.URL)) }, false, 100)
}

func newClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	c, err := (&redisconf.Config{URL: url, Timeout: time.Second}).NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fireOnce runs two Schedulers on one fake clock for ticks ticks of
// rate(1 second) and checks that every tick was fired once. With shared,
// both get the same Locker; otherwise each gets its own from locker.
func fireOnce(t *testing.T, locker func(*testing.T) Locker, shared bool, ticks int) {
	clock := newFakeClock(from)
	cfg := []Config{{Name: "once", Function: "f", Expression: "rate(1 second)"}}
	l := locker(t)
	recs := [2]*recorder{{}, {}}
	var ss [2]*Scheduler
	for i := range ss {
		if !shared && i > 0 {
			l = locker(t)
		}
		s, err := New(cfg, recs[i], l, WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		ss[i] = s
		start(t, s)
	}
	var want []string
	for range ticks {
		want = append(want, clock.advance(t, 2).UTC().Format("2006-01-02T15:04:05Z"))
	}
	clock.waitFor(t, 2)
	fired := map[string]int{}
	for _, r := range recs {
		for _, c := range r.calls() {
			var ev struct{ Time string }
			json.Unmarshal(c.payload, &ev)
			fired[ev.Time]++
		}
	}
	for _, tick := range want {
		if fired[tick] != 1 {
			t.Errorf("tick %s fired %d times, want once", tick, fired[tick])
		}
	}
	if len(fired) != ticks {
		t.Errorf("%d ticks fired, want %d", len(fired), ticks)
	}
	var held float64
	for _, s := range ss {
		held += value(s.m.skips.WithLabelValues("once", SkipHeld))
	}
	if held != float64(ticks) {
		t.Errorf("held skips: got %v, want %d", held, ticks)
	}
	t.Logf("replica 0 fired %d, replica 1 fired %d", len(recs[0].calls()), len(recs[1].calls()))
}

// TestRedisDown: while Redis does not answer, ticks are skipped (never
// fired), the outage is logged once, and firing resumes when it is back.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	core, logs := observer.New(zapcore.InfoLevel)
	clock := newFakeClock(from)
	rec := &recorder{}
	s, err := New([]Config{{Name: "d", Function: "f", Expression: "rate(1 minute)"}}, rec,
		NewRedisLocker(newClient(t, srv.URL)), WithClock(clock), WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	clock.advance(t, 1)
	clock.waitFor(t, 1)
	srv.Stop()
	for range 3 {
		clock.advance(t, 1)
	}
	clock.waitFor(t, 1)
	if n := len(rec.calls()); n != 1 {
		t.Fatalf("got %d invocations with Redis down, want only the one before", n)
	}
	if n := value(s.m.skips.WithLabelValues("d", SkipLockError)); n != 3 {
		t.Errorf("lock_error skips: got %v, want 3", n)
	}
	if n := logs.FilterMessageSnippet("lock unavailable").Len(); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
	srv.Start()
	clock.advance(t, 1)
	clock.waitFor(t, 1)
	if n := len(rec.calls()); n != 2 {
		t.Fatalf("got %d invocations after Redis came back, want 2", n)
	}
	if n := logs.FilterMessageSnippet("available again").Len(); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
}

// errLocker always fails, as a Redis that timed out after writing might.
type errLocker struct{}

func (errLocker) Acquire(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("i/o timeout")
}

func TestLockErrorNeverFires(t *testing.T) {
	clock := newFakeClock(from)
	rec := &recorder{}
	s, err := New([]Config{{Name: "e", Function: "f", Expression: "rate(1 second)"}}, rec, errLocker{}, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	for range 5 {
		clock.advance(t, 1)
	}
	clock.waitFor(t, 1)
	if n := len(rec.calls()); n != 0 {
		t.Errorf("got %d invocations, want none", n)
	}
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
