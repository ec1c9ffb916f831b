package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// clock is time as the generator sees it; tests give it a fake one.
type clock interface {
	Now() time.Time
	// SleepUntil returns at t or later (at once when t has passed), or
	// when ctx is done.
	SleepUntil(ctx context.Context, t time.Time)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) SleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// doer sends one request to target i; one doer per worker.
type doer interface {
	do(target int) (status, size int, err error)
}

// Run sends the load Options describe and returns what it measured.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	clients := newClients(&opts)
	return run(ctx, &opts, realClock{}, func() doer { return clients.newDoer() }), nil
}

// due returns when request i of an open-loop run at rate per second is due.
func due(start time.Time, rate float64, i int64) time.Time {
	return start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// loadRun is the schedule and the counters the connections of one run
// share.
type loadRun struct {
	ctx                       context.Context
	o                         *Options
	clk                       clock
	start, measureStart, stop time.Time // stop: zero without a duration

	next     atomic.Int64 // open loop: index of the next due request
	measured atomic.Int64 // measured requests claimed (count limit)
	done     atomic.Int64 // measured requests completed (progress)
	stopped  atomic.Bool
	window   sync.Once // o.Window(true), by the first measured request
	opened   atomic.Bool
}

func run(ctx context.Context, o *Options, clk clock, newDoer func() doer) *Result {
	lr := &loadRun{ctx: ctx, o: o, clk: clk, start: clk.Now()}
	lr.measureStart = lr.start.Add(o.WarmUp)
	if o.Duration > 0 {
		lr.stop = lr.measureStart.Add(o.Duration)
	}
	recs := make([]*recorder, o.Connections)
	var wg sync.WaitGroup
	for w := range o.Connections {
		recs[w] = newRecorder(lr.measureStart)
		d, pick, rec := newDoer(), newPicker(o.Targets, w), recs[w]
		wg.Go(func() { lr.connection(d, pick, rec) })
	}
	progressDone := make(chan struct{})
	var progress sync.WaitGroup
	if o.Progress != nil {
		progress.Go(func() { lr.reportProgress(progressDone) })
	}
	wg.Wait()
	close(progressDone)
	progress.Wait()
	end := clk.Now()
	if lr.opened.Load() {
		o.Window(false)
	}

	total := newRecorder(lr.measureStart)
	for _, r := range recs {
		total.merge(r)
	}
	elapsed := end.Sub(lr.measureStart)
	if !lr.stop.IsZero() && elapsed > o.Duration {
		elapsed = o.Duration
	}
	return newResult(total, elapsed, o)
}

func (lr *loadRun) finished(now time.Time) bool {
	return lr.stopped.Load() || lr.ctx.Err() != nil || (!lr.stop.IsZero() && !now.Before(lr.stop))
}

// connection sends requests one after another, each when it is due (open
// loop) or at once (closed loop), until the run is finished, and records
// the ones in the measured window.
func (lr *loadRun) connection(d doer, pick *picker, rec *recorder) {
	o, clk := lr.o, lr.clk
	for {
		var when time.Time
		if o.Rate > 0 {
			when = due(lr.start, o.Rate, lr.next.Add(1)-1)
			if lr.finished(when) {
				return
			}
			clk.SleepUntil(lr.ctx, when)
		} else {
			when = clk.Now()
		}
		if lr.finished(clk.Now()) {
			return
		}
		inWindow := !when.Before(lr.measureStart)
		if inWindow && o.Requests > 0 && lr.measured.Add(1) > o.Requests {
			lr.stopped.Store(true)
			return
		}
		if inWindow && o.Window != nil {
			lr.window.Do(func() { o.Window(true); lr.opened.Store(true) })
		}
		status, size, err := d.do(pick.next())
		if inWindow {
			rec.record(when, clk.Now(), status, size, err)
			lr.done.Add(1)
		}
	}
}

// reportProgress calls o.Progress every second of the measured window
// until stop is closed.
func (lr *loadRun) reportProgress(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			if now.After(lr.measureStart) {
				lr.o.Progress(lr.done.Load(), now.Sub(lr.measureStart))
			}
		}
	}
}

// picker chooses targets by smooth weighted round robin (as nginx does):
// deterministic, and spread evenly over time.
type picker struct {
	weights, current []int
	total            int
}

func newPicker(targets []Target, offset int) *picker {
	p := &picker{weights: make([]int, len(targets)), current: make([]int, len(targets))}
	for i, t := range targets {
		p.weights[i] = t.Weight
		p.total += t.Weight
	}
	for range offset % max(p.total, 1) { // stagger workers
		p.next()
	}
	return p
}

func (p *picker) next() int {
	best := 0
	for i, w := range p.weights {
		p.current[i] += w
		if p.current[i] > p.current[best] {
			best = i
		}
	}
	p.current[best] -= p.total
	return best
}

// clients holds one pooled fasthttp client per target.
type clients struct {
	o     *Options
	hosts []*fasthttp.HostClient
}

func newClients(o *Options) *clients {
	c := &clients{o: o}
	for _, t := range o.Targets {
		req := fasthttp.AcquireRequest()
		req.SetRequestURI(t.URL)
		c.hosts = append(c.hosts, &fasthttp.HostClient{
			Addr:                string(req.URI().Host()),
			IsTLS:               string(req.URI().Scheme()) == "https",
			MaxConns:            o.Connections,
			ReadTimeout:         o.Timeout,
			WriteTimeout:        o.Timeout,
			MaxIdleConnDuration: time.Minute,
			// The generator measures; it never retries.
			RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		})
		fasthttp.ReleaseRequest(req)
	}
	return c
}

type httpDoer struct {
	c    *clients
	reqs []*fasthttp.Request
	resp *fasthttp.Response
}

func (c *clients) newDoer() doer {
	d := &httpDoer{c: c, resp: new(fasthttp.Response)}
	for _, t := range c.o.Targets {
		req := new(fasthttp.Request)
		req.SetRequestURI(t.URL)
		req.Header.SetMethod(c.o.Method)
		for k, v := range c.o.Headers {
			req.Header.Set(k, v)
		}
		if len(c.o.Body) > 0 {
			req.SetBody(c.o.Body)
		}
		d.reqs = append(d.reqs, req)
	}
	return d
}

func (d *httpDoer) do(target int) (int, int, error) {
	err := d.c.hosts[target].DoTimeout(d.reqs[target], d.resp, d.c.o.Timeout)
	if err != nil {
		return 0, 0, err
	}
	return d.resp.StatusCode(), len(d.resp.Body()), nil
}
