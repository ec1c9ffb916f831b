package ratelimit

import (
	"context"
	"sync"
	"testing"

	"github.com/portico/portico/internal/redisconf"
)

// go-redis's messages reach the loggers of the open stores only.
func TestRedisLoggerIsPerOpenStore(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]string{}
	logTo := func(name string) RedisOption {
		return WithRedisLogger(func(msg string) {
			mu.Lock()
			got[name] = append(got[name], msg)
			mu.Unlock()
		})
	}
	a, err := NewRedis(redisconf.Config{URL: "redis://127.0.0.1:1/0"}, logTo("a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRedis(redisconf.Config{URL: "redis://127.0.0.1:1/0"}, logTo("b"))
	if err != nil {
		t.Fatal(err)
	}
	silent, err := NewRedis(redisconf.Config{URL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	redisLogs.Printf(context.Background(), "one %d", 1)
	a.Close()
	redisLogs.Printf(context.Background(), "two %d", 2)
	b.Close()
	redisLogs.Printf(context.Background(), "three %d", 3)
	mu.Lock()
	defer mu.Unlock()
	if len(got["a"]) != 1 || got["a"][0] != "one 1" {
		t.Errorf("store a: got %q, want [one 1]", got["a"])
	}
	if len(got["b"]) != 2 || got["b"][1] != "two 2" {
		t.Errorf("store b: got %q, want [one 1 two 2]", got["b"])
	}
}
