package eventsource

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

func TestNewRefuses(t *testing.T) {
	fns := map[string]Function{"fn": {Invoker: &recorder{}}}
	tests := []struct {
		name    string
		sources []Config
		want    string
	}{
		{"unknown function", []Config{{Function: "nope", Type: TypeRedis, Redis: RedisConfig{Stream: "s", Group: "g"}}},
			`eventSources[0].function: no function "nope"`},
		{"redis without a client", []Config{redisSource("s")}, "eventSources[0].type: redis needs the config's redis"},
		{"invalid", []Config{{Function: "fn", Type: TypeSQS}}, "eventSources[0]: queueUrl: required"},
		{"twice", []Config{
			{Function: "fn", Type: TypeSQS, SQS: SQSConfig{QueueURL: "http://127.0.0.1:1/1/q"}},
			{Function: "fn", Type: TypeSQS, SQS: SQSConfig{QueueURL: "http://127.0.0.1:1/1/q"}},
		}, "eventSources[1]: the same source as an earlier entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.sources, fns, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSetKeepsUnchangedSources(t *testing.T) {
	t.Parallel()
	_, rdb := startRedis(t)
	old, next, other := &recorder{}, &recorder{}, &recorder{}
	a, b := redisSource("a"), redisSource("b")
	b.Function = "other"
	m, _ := startManager(t, a, Function{Invoker: old, Concurrency: 1}, rdb)
	xadd(t, rdb, "a", "body", "a1")
	testkit.Eventually(t, 10*time.Second, "a1 delivered", func() bool { return old.deliveries()["a1"] == 1 })
	kept := m.current()[0]

	if err := m.Set([]Config{a, b}, map[string]Function{"fn": {Invoker: next, Concurrency: 1}, "other": {Invoker: other, Concurrency: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := m.sources[a.key()]; got != kept {
		t.Error("the unchanged source was replaced")
	}
	xadd(t, rdb, "a", "body", "a2")
	xadd(t, rdb, "b", "body", "b1")
	testkit.Eventually(t, 10*time.Second, "a2 to the new invoker, b1 to the new source", func() bool {
		return next.deliveries()["a2"] == 1 && other.deliveries()["b1"] == 1
	})
	if old.deliveries()["a2"] != 0 {
		t.Error("the old invoker got a batch after the reload")
	}

	if err := m.Set([]Config{b}, map[string]Function{"other": {Invoker: other, Concurrency: 1}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-kept.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the removed source did not stop")
	}
	if n := len(m.current()); n != 1 {
		t.Errorf("%d sources after removing one, want 1", n)
	}
	if err := m.Set([]Config{{Function: "gone", Type: TypeRedis, Redis: RedisConfig{Stream: "s", Group: "g"}}}, nil); err == nil {
		t.Error("Set accepted a source of an unknown function")
	}
	if n := len(m.current()); n != 1 {
		t.Errorf("a refused Set changed the sources: %d", n)
	}
}
