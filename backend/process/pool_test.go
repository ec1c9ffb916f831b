package process

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestPoolReusesMostRecentlyUsed checks the idle order: the instance that
// finished last is taken first, as its process is the likeliest to still
// be in the CPU's caches, and the ones idle longest are left to expire.
func TestPoolReusesMostRecentlyUsed(t *testing.T) {
	p := &pool{all: map[*instance]struct{}{}, max: 3}
	ins := make([]*instance, 3)
	for i := range ins {
		ins[i] = &instance{id: strconv.Itoa(i), inPool: true}
		p.all[ins[i]] = struct{}{}
		p.total++
	}
	for _, in := range ins {
		p.release(in)
	}
	for _, want := range []string{"2", "1", "0"} {
		got, err := p.acquire(context.Background(), time.Second)
		if err != nil || got == nil {
			t.Fatalf("acquire: got %v, %v, want instance %s", got, err, want)
		}
		if got.id != want {
			t.Errorf("acquired instance %s, want %s (the most recently released)", got.id, want)
		}
	}
}
