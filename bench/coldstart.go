package bench

import (
	"context"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/process"
)

// coldStarts is how many cold starts the coldstart scenario measures.
const coldStarts = 50

// runColdStart measures, for examples/hello, the time from starting a new
// instance's process to its first response, coldStarts times, and a warm
// invoke for comparison.
func runColdStart(ctx context.Context, s *session) error {
	src, err := projectFile("examples/hello")
	if err != nil {
		return err
	}
	cfg := &process.Config{Runtime: "go", Source: src}
	inv := &backend.Invocation{Function: "hello", Event: []byte(`{}`), RequestID: "bench"}
	cold := newRecorder(time.Now())
	warm := newRecorder(time.Now())
	for i := 0; i < coldStarts && ctx.Err() == nil; i++ {
		f, err := process.New("hello", cfg)
		if err != nil {
			return err
		}
		if err := f.Start(ctx); err != nil {
			f.Close()
			return err
		}
		start := time.Now()
		_, err = f.Invoke(ctx, inv, nil)
		cold.record(start, time.Now(), 200, 0, err)
		start = time.Now()
		_, err = f.Invoke(ctx, inv, nil)
		warm.record(start, time.Now(), 200, 0, err)
		f.Close()
	}
	s.note("%d cold starts of examples/hello, each a new process: process start to first response", coldStarts)
	c := newResult(cold, 0, &Options{})
	c.Name = "cold start"
	w := newResult(warm, 0, &Options{})
	w.Name = "warm invoke (same instance)"
	s.report.Results = append(s.report.Results, c, w)
	s.ratio("cold / warm p99", []*Result{c}, []*Result{w}, p99)
	return nil
}
