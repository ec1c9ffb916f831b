package gateway

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// flightShards spreads the in-flight set over locks, so that requests on
// different cores rarely wait on each other to register.
const flightShards = 16

// flights is what a gateway is serving: a count of the requests routed to
// it, which a drain waits on, and the set of their exchanges, which names
// the requests a drain cut short. Registering takes one shard's lock and
// allocates nothing: the set is a list linked through the exchanges.
type flights struct {
	n        atomic.Int64
	draining atomic.Bool
	idle     chan struct{} // a token when n drops to 0 while draining
	shards   [flightShards]flightShard
}

type flightShard struct {
	mu   sync.Mutex
	head *exchange
	_    [48]byte // keeps neighbouring shards' locks off one cache line
}

func (f *flights) init() { f.idle = make(chan struct{}, 1) }

// enter counts a request in.
func (f *flights) enter() { f.n.Add(1) }

// leave counts a request out, waking a drain when it was the last.
func (f *flights) leave() {
	if f.n.Add(-1) == 0 && f.draining.Load() {
		select {
		case f.idle <- struct{}{}:
		default:
		}
	}
}

// wait waits until no request is counted in or until deadline, and reports
// whether none is. New requests must no longer reach the gateway.
func (f *flights) wait(deadline time.Time) bool {
	f.draining.Store(true)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for f.n.Load() > 0 {
		select {
		case <-f.idle:
		case <-timer.C:
			return f.n.Load() == 0
		}
	}
	return true
}

// add puts x in the set. x.requestID must be set: it picks the shard.
func (f *flights) add(x *exchange) {
	x.flightShard = x.requestID[0] % flightShards
	s := &f.shards[x.flightShard]
	s.mu.Lock()
	x.flightPrev, x.flightNext = nil, s.head
	if s.head != nil {
		s.head.flightPrev = x
	}
	s.head = x
	s.mu.Unlock()
}

// remove takes x out of the set.
func (f *flights) remove(x *exchange) {
	s := &f.shards[x.flightShard]
	s.mu.Lock()
	if x.flightPrev != nil {
		x.flightPrev.flightNext = x.flightNext
	} else {
		s.head = x.flightNext
	}
	if x.flightNext != nil {
		x.flightNext.flightPrev = x.flightPrev
	}
	s.mu.Unlock()
	x.flightPrev, x.flightNext = nil, nil
}

// logCut logs one line for each request still in flight, which the drain
// that gave up at now is cutting. It holds each shard's lock while logging
// its requests, so none of them can finish and reuse its exchange meanwhile.
func (g *Gateway) logCut(now time.Time, drain string) {
	for i := range g.flights.shards {
		s := &g.flights.shards[i]
		s.mu.Lock()
		for x := s.head; x != nil; x = x.flightNext {
			routeKey := ""
			if r := x.flightRoute.Load(); r != nil {
				routeKey = r.key
			}
			ctx := x.fctx
			g.log.Warn(drain+" cut a request in flight",
				zap.ByteString("request_id", x.requestID[:]),
				zap.String("route_key", routeKey),
				zap.ByteString("method", ctx.Method()),
				zap.ByteString("path", ctx.Request.URI().PathOriginal()),
				zap.Duration("elapsed", now.Sub(ctx.Time())))
		}
		s.mu.Unlock()
	}
}
