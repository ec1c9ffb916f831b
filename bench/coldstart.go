package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/process"
)

// coldStarts is how many cold starts the coldstart scenario measures per
// language, unless ScenarioOptions.ColdStarts says otherwise.
const coldStarts = 50

// coldSeries is one language's measurements in the coldstart scenario.
type coldSeries struct {
	fn               helloFunction
	cold, warm, bare *recorder
}

// runColdStart measures, for each language's hello, the time from starting
// a new instance's process to its first response, and a warm invoke of the
// same instance; for Node.js and Python also the bare interpreter's own
// start (`node -e 0`, `python3 -c pass`, the same executable the runtime
// runs), since a cold start cannot be quicker than that. The languages
// take turns each iteration (A B A B), so a load that comes and goes on the
// machine lands on all of them alike.
func runColdStart(ctx context.Context, s *session) error {
	fns, err := s.helloFunctions()
	if err != nil {
		return err
	}
	n := s.o.ColdStarts
	if n == 0 {
		n = coldStarts
	}
	series := make([]*coldSeries, len(fns))
	for i, f := range fns {
		series[i] = &coldSeries{fn: f, cold: newRecorder(time.Now()), warm: newRecorder(time.Now()), bare: newRecorder(time.Now())}
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		for _, c := range series {
			if err := c.coldStart(ctx); err != nil {
				return err
			}
			if len(c.fn.bare) > 0 {
				if err := c.bareStart(ctx); err != nil {
					return err
				}
			}
		}
	}
	s.note("%d cold starts per language, each a new process: process start to first response; bare: the interpreter starting and exiting, in the environment a function gets", n)
	for _, c := range series {
		r := newResult(c.cold, 0, &Options{})
		r.Name = c.fn.name + " hello cold start"
		w := newResult(c.warm, 0, &Options{})
		w.Name = c.fn.name + " hello warm invoke (same instance)"
		s.report.Results = append(s.report.Results, r, w)
		if len(c.fn.bare) == 0 {
			s.note("%s hello cold start median %s (target ≤ 10ms)", c.fn.name, fmtMicros(r.Latency.P50))
			continue
		}
		b := newResult(c.bare, 0, &Options{})
		b.Name = fmt.Sprintf("%s bare start (%s %s)", c.fn.name, c.fn.interpreter, joinArgs(c.fn.bare))
		s.report.Results = append(s.report.Results, b)
		s.note("%s hello cold start median %s − bare %s start median %s = %s (target ≤ 30ms); interpreter %s",
			c.fn.name, fmtMicros(r.Latency.P50), c.fn.interpreter, fmtMicros(b.Latency.P50),
			fmtDelta(r.Latency.P50-b.Latency.P50), c.fn.path)
	}
	return nil
}

// coldStart starts a new instance of the function and times its first
// invoke (the process start is in it: instances start on demand), then a
// warm one.
func (c *coldSeries) coldStart(ctx context.Context) error {
	f, err := process.New(c.fn.name, c.fn.config())
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Start(ctx); err != nil {
		return err
	}
	inv := &backend.Invocation{Function: c.fn.name, Event: []byte(`{}`), RequestID: "bench"}
	start := time.Now()
	_, err = f.Invoke(ctx, inv, nil)
	c.cold.record(start, time.Now(), 200, 0, err)
	start = time.Now()
	_, err = f.Invoke(ctx, inv, nil)
	c.warm.record(start, time.Now(), 200, 0, err)
	return nil
}

// bareEnv is the environment the process backend gives every function
// before Lambda's own variables (backend/process, Function.environ0), which
// the bare start runs in too, so both start alike: Portico's environment
// can cost an interpreter more than its start (NODE_EXTRA_CA_CERTS makes
// node read a CA bundle first, 40 ms on the machine this was written on),
// and a function never sees it.
var bareEnv = []string{"TZ=UTC", "LANG=en_US.UTF-8", "PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin"}

// bareStart times the interpreter starting and exiting.
func (c *coldSeries) bareStart(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, c.fn.path, c.fn.bare...)
	cmd.Env = bareEnv
	start := time.Now()
	err := cmd.Run()
	c.bare.record(start, time.Now(), 200, 0, err)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.fn.path, joinArgs(c.fn.bare), err)
	}
	return nil
}

func joinArgs(args []string) string { return strings.Join(args, " ") }

// fmtDelta is fmtMicros for a difference, which may be negative.
func fmtDelta(us int64) string {
	if us < 0 {
		return "-" + fmtMicros(-us)
	}
	return fmtMicros(us)
}
