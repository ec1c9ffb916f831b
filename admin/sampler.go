package admin

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Sampling: once a second, five minutes kept, routes' numbers over the
// last minute.
const (
	sampleEvery  = time.Second
	keepSeconds  = 300
	routeSeconds = 60
)

// The series the sampler reads (see gateway/metrics.go).
const (
	requestsName = "portico_requests_total"
	latencyName  = "portico_request_duration_seconds"
	errorsName   = "portico_invocation_errors_total"
)

// sampler keeps per-second deltas of the gateway's route series. Counters
// start afresh on a reload (a new gateway, new metrics): a series that
// went down, or a gatherer that changed, counts from zero, as Prometheus's
// rate() does over a counter reset. Safe for concurrent use.
type sampler struct {
	mu       sync.Mutex
	gatherer prometheus.Gatherer // the one last read
	bounds   []float64           // the latency buckets' upper bounds in seconds, +Inf left out
	last     map[string]*counts  // absolute values at the last sample, by route key
	ring     [keepSeconds]second
	held     int // seconds in ring
	next     int // where the next second goes
}

// counts are one route's series, absolute or as the delta of one second.
type counts struct {
	requests float64
	server   float64   // answered 5xx
	latency  []float64 // cumulative count per bound of sampler.bounds, then the total
	errors   map[string]float64
}

// second is one sample: what changed since the one before, by route (only
// routes that changed).
type second struct {
	at     time.Time
	routes map[string]*counts
}

// run samples g every second until ctx is done.
func (s *sampler) run(ctx context.Context, g func() prometheus.Gatherer) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			gatherer := g()
			families, err := gatherer.Gather()
			if err != nil {
				continue // a partial gather would read as a counter reset
			}
			s.sample(now, gatherer, families)
		}
	}
}

// sample records the families gathered from gatherer at now.
func (s *sampler) sample(now time.Time, gatherer prometheus.Gatherer, families []*dto.MetricFamily) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.parse(families)
	if gatherer != s.gatherer {
		s.last = nil // a reload: every series starts from zero
		s.gatherer = gatherer
	}
	sec := second{at: now, routes: map[string]*counts{}}
	for key, c := range cur {
		d := c.minus(s.last[key])
		if d.requests > 0 || len(d.errors) > 0 {
			sec.routes[key] = d
		}
	}
	s.last = cur
	s.ring[s.next] = sec
	s.next = (s.next + 1) % keepSeconds
	s.held = min(s.held+1, keepSeconds)
}

// parse reads the route series of families; with s.mu held (it learns
// s.bounds).
func (s *sampler) parse(families []*dto.MetricFamily) map[string]*counts {
	out := map[string]*counts{}
	route := func(m *dto.Metric) *counts {
		key := label(m, "route")
		c := out[key]
		if c == nil {
			c = &counts{errors: map[string]float64{}}
			out[key] = c
		}
		return c
	}
	for _, f := range families {
		switch f.GetName() {
		case requestsName:
			for _, m := range f.GetMetric() {
				c, v := route(m), m.GetCounter().GetValue()
				c.requests += v
				if label(m, "status") == "5xx" {
					c.server += v
				}
			}
		case errorsName:
			for _, m := range f.GetMetric() {
				if v := m.GetCounter().GetValue(); v > 0 {
					route(m).errors[label(m, "kind")] += v
				}
			}
		case latencyName:
			for _, m := range f.GetMetric() {
				h := m.GetHistogram()
				if s.bounds == nil {
					for _, b := range h.GetBucket() {
						if !math.IsInf(b.GetUpperBound(), 1) {
							s.bounds = append(s.bounds, b.GetUpperBound())
						}
					}
				}
				c := route(m)
				c.latency = make([]float64, 0, len(s.bounds)+1)
				for i, b := range h.GetBucket() {
					if i < len(s.bounds) {
						c.latency = append(c.latency, float64(b.GetCumulativeCount()))
					}
				}
				c.latency = append(c.latency, float64(h.GetSampleCount()))
			}
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// minus is c less prev: the delta of one second. A series that went down
// was reset, and counts from zero.
func (c *counts) minus(prev *counts) *counts {
	if prev == nil || c.requests < prev.requests || c.server < prev.server || len(c.latency) != len(prev.latency) ||
		(len(c.latency) > 0 && c.latency[len(c.latency)-1] < prev.latency[len(prev.latency)-1]) {
		prev = &counts{}
	}
	d := &counts{requests: c.requests - prev.requests, server: c.server - prev.server, latency: make([]float64, len(c.latency))}
	for i, v := range c.latency {
		if i < len(prev.latency) {
			v -= prev.latency[i]
		}
		d.latency[i] = v
	}
	for kind, v := range c.errors {
		if p := prev.errors[kind]; v >= p {
			v -= p
		}
		if v > 0 {
			if d.errors == nil {
				d.errors = map[string]float64{}
			}
			d.errors[kind] = v
		}
	}
	return d
}

// add adds d into c.
func (c *counts) add(d *counts) {
	c.requests += d.requests
	c.server += d.server
	if len(c.latency) < len(d.latency) {
		c.latency = append(c.latency, make([]float64, len(d.latency)-len(c.latency))...)
	}
	for i, v := range d.latency {
		c.latency[i] += v
	}
}

// live is c as Live over the given seconds.
func (c *counts) live(bounds []float64, seconds int) Live {
	l := Live{}
	if seconds > 0 {
		l.Rate = c.requests / float64(seconds)
	}
	if c.requests > 0 {
		l.ErrorRate = c.server / c.requests
	}
	l.P50MS = quantileMS(0.5, bounds, c.latency)
	l.P99MS = quantileMS(0.99, bounds, c.latency)
	return l
}

// quantileMS estimates the q-quantile in milliseconds from cumulative
// bucket counts (one per bound, then the total), as Prometheus's
// histogram_quantile does: linearly within the bucket the rank falls in,
// the first bucket starting at 0, and the last finite bound for a rank
// past it. nil without observations.
func quantileMS(q float64, bounds, cumulative []float64) *float64 {
	if len(cumulative) == 0 || cumulative[len(cumulative)-1] <= 0 {
		return nil
	}
	total := cumulative[len(cumulative)-1]
	rank := q * total
	i := sort.Search(len(cumulative), func(i int) bool { return cumulative[i] >= rank })
	var v float64
	switch {
	case i >= len(bounds): // the +Inf bucket
		v = bounds[len(bounds)-1]
	default:
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = bounds[i-1], cumulative[i-1]
		}
		v = bounds[i]
		if in := cumulative[i] - below; in > 0 {
			v = lower + (bounds[i]-lower)*(rank-below)/in
		}
	}
	ms := v * 1000
	return &ms
}

// Point is one second of the gateway's traffic, for the live plot.
type Point struct {
	At int64 `json:"t"` // Unix milliseconds
	Live
}

// seconds calls fn for the last n seconds held, oldest first; with s.mu held.
func (s *sampler) seconds(n int, fn func(sec *second)) {
	n = min(n, s.held)
	for i := n; i > 0; i-- {
		fn(&s.ring[(s.next-i+keepSeconds)%keepSeconds])
	}
}

// series is the gateway's traffic second by second, over what is held.
func (s *sampler) series() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Point, 0, s.held)
	s.seconds(keepSeconds, func(sec *second) {
		var all counts
		for _, d := range sec.routes {
			all.add(d)
		}
		out = append(out, Point{At: sec.at.UnixMilli(), Live: all.live(s.bounds, 1)})
	})
	return out
}

// routes is each route's numbers over the last minute (or what is held),
// and the whole gateway's.
func (s *sampler) routes() (map[string]Live, Live) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[string]*counts{}
	var all counts
	s.seconds(routeSeconds, func(sec *second) {
		for key, d := range sec.routes {
			c := sums[key]
			if c == nil {
				c = &counts{}
				sums[key] = c
			}
			c.add(d)
			all.add(d)
		}
	})
	n := min(routeSeconds, s.held)
	out := make(map[string]Live, len(sums))
	for key, c := range sums {
		out[key] = c.live(s.bounds, n)
	}
	return out, all.live(s.bounds, n)
}

// totals are a route's requests and invocation errors by kind since its
// metrics started (the config loaded), at the last sample.
func (s *sampler) totals(route string) (requests uint64, errors map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.last[route]
	if c == nil {
		return 0, nil
	}
	errors = make(map[string]uint64, len(c.errors))
	for kind, v := range c.errors {
		errors[kind] = uint64(v)
	}
	return uint64(c.requests), errors
}
