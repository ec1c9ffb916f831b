package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/internal/testkit/redistest"
)

// A round trip whose scripts the server has forgotten (SCRIPT FLUSH, or a
// restarted server) still answers every call, as if each had run alone in
// queue order: the same bucket several times in one run of the bucket
// script takes its tokens in turn, and the quota calls beside it count.
func TestRedisPipelineNoScript(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedisConf(t, redisconf.Config{URL: srv.URL, Timeout: 5 * time.Second})
	ctx := context.Background()
	now := time.Now()
	// burst 2, no refill within the test: of 3 takes, 2 pass.
	lim := Limit{Rate: 0.001, Burst: 2}
	q := Quota{Limit: 1, Period: "DAY"}
	per, _ := parsePeriod(q.Period)
	start, end := per.bounds(now)
	for _, mixed := range []bool{false, true} {
		if err := r.c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		key := "noscript-" + map[bool]string{false: "alone", true: "mixed"}[mixed]
		var batch []*call
		for range 3 {
			c := acquireCall(gcraScript)
			c.keys = append(c.keys, redisPrefix+"b:{"+key+"}")
			c.args = append(c.args, intervalMicros(lim.Rate), min(span(intervalMicros(lim.Rate), lim.Burst), maxMicros), int64(0))
			batch = append(batch, c)
		}
		if mixed {
			for range 2 {
				c := acquireCall(quotaScript)
				sa := strconv.FormatInt(start.Unix(), 10)
				c.keys = append(c.keys, redisPrefix+"q:{"+key+"}:"+sa, redisPrefix+"qf:{"+key+"}")
				c.args = append(c.args, q.Limit, int64(0), sa, (end.Sub(now) + quotaGrace).Milliseconds(), markerTTL.Milliseconds())
				batch = append(batch, c)
			}
		}
		l := r.p.free[0]
		l.exec(batch)
		for i, c := range batch {
			if c.err != nil {
				t.Fatalf("mixed=%v: call %d: %v", mixed, i, c.err)
			}
		}
		for i, want := range []int64{1, 1, 0} {
			if got := batch[i].res[0]; got != want {
				t.Errorf("mixed=%v: take %d allowed %d, want %d (replies %v %v %v)", mixed, i, got, want, batch[0].res, batch[1].res, batch[2].res)
			}
		}
		if mixed {
			if a, b := batch[3].res[0], batch[4].res[0]; a != 1 || b != 0 {
				t.Errorf("quota calls allowed %d, %d; want 1, 0", a, b)
			}
		}
	}
}
