package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// maxBatch bounds the scripts sent in one round trip, so that one reply
// stays small and quick to read and its waiters are not held behind a
// long queue; the rest go in the next round trip.
const maxBatch = 128

// pipeline shares Redis round trips between concurrent requests: while one
// round trip is in flight, the scripts of the requests that arrive queue
// up, and the next round trip sends them together, one EVALSHA each, in
// one pipeline. Each script still runs alone and atomically on the server,
// in queue order, so every answer is the one a round trip of its own would
// have got; only the transport is shared.
//
// There is no background goroutine: the request that finds no round trip
// in flight leads one, sending the queue's first maxBatch scripts (its own
// first), and, once their answers are handed out, passes the lead to the
// first request still waiting. A request leads at most one round trip, so
// it waits at most for the round trip in flight and its own.
//
// A round trip is bounded by the client's timeouts (redisconf.Config.Timeout)
// and not by any one request's ctx, whose cancellation must not fail the
// others' scripts. A request whose ctx ends while it waits in the queue
// leaves at once; its script is then not sent.
type pipeline struct {
	_ noCopy
	c *redis.Client

	mu    sync.Mutex
	queue []*call
	busy  bool // a round trip is in flight or about to be

	// Only the leader touches these.
	batch []*call
	cmds  []*redis.Cmd
	pipe  redis.Pipeliner
}

// A call's state moves from waiting to leading (it leads the next round
// trip), sent (its script is in a round trip) or abandoned (its ctx ended
// first); sent and abandoned are final.
const (
	waiting int32 = iota
	leading
	sent
	abandoned
)

// call is one script to run and its answer.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	state  atomic.Int32
	// done gets one value, never blocking its sender: when the answer is
	// in (state sent) or the call must lead (state leading).
	done chan struct{}
	res  []int64
	err  error

	keyBuf [2]string
	argBuf [5]any
}

var calls = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// acquireCall returns a call for script, with room for two keys and five
// arguments.
func acquireCall(script *redis.Script) *call {
	c := calls.Get().(*call)
	c.script = script
	c.keys = c.keyBuf[:0]
	c.args = c.argBuf[:0]
	return c
}

// releaseCall returns c to the pool. Never release an abandoned call: it is
// still in the queue.
func releaseCall(c *call) {
	clear(c.keyBuf[:])
	clear(c.argBuf[:])
	c.script, c.keys, c.args, c.res, c.err = nil, nil, nil, nil, nil
	calls.Put(c)
}

func newPipeline(c *redis.Client) *pipeline {
	return &pipeline{c: c, pipe: c.Pipeline(), batch: make([]*call, 0, maxBatch), cmds: make([]*redis.Cmd, maxBatch)}
}

// do runs c's script and sets c.res or c.err. It returns false when ctx
// ended before the script was sent: c.err is then ctx's error and c must
// not be released.
func (p *pipeline) do(ctx context.Context, c *call) bool {
	if err := ctx.Err(); err != nil {
		c.err = err
		return true
	}
	c.state.Store(waiting)
	p.mu.Lock()
	p.queue = append(p.queue, c)
	lead := !p.busy
	if lead {
		p.busy = true
		c.state.Store(leading)
	}
	p.mu.Unlock()
	if !lead {
		select {
		case <-c.done:
		case <-ctx.Done():
			if c.state.CompareAndSwap(waiting, abandoned) {
				c.err = ctx.Err()
				return false
			}
			<-c.done // sent or leading: the signal is on its way
		}
		if c.state.Load() == sent {
			return true
		}
	}
	p.lead()
	return true
}

// lead sends the next batch, whose first call is the leader's, hands out
// the answers and passes the lead on.
func (p *pipeline) lead() {
	p.mu.Lock()
	n := min(len(p.queue), maxBatch)
	p.batch = append(p.batch[:0], p.queue[:n]...)
	rest := copy(p.queue, p.queue[n:])
	clear(p.queue[rest:])
	p.queue = p.queue[:rest]
	p.mu.Unlock()

	leader := p.batch[0]
	leader.state.Store(sent)
	live := p.batch[:1]
	for _, c := range p.batch[1:] {
		if c.state.CompareAndSwap(waiting, sent) {
			live = append(live, c)
		}
	}
	p.exec(live)
	for _, c := range live[1:] {
		c.done <- struct{}{}
	}
	clear(p.batch)

	p.mu.Lock()
	for len(p.queue) > 0 && !p.queue[0].state.CompareAndSwap(waiting, leading) {
		p.queue = p.queue[:copy(p.queue, p.queue[1:])] // abandoned
	}
	if len(p.queue) == 0 {
		p.busy = false
		p.mu.Unlock()
		return
	}
	next := p.queue[0]
	p.mu.Unlock()
	next.done <- struct{}{}
}

// exec runs the scripts of batch in one round trip. A script the server
// does not know (flushed, or a restarted server) did not run, so it is sent
// again in full, in a second round trip.
func (p *pipeline) exec(batch []*call) {
	// Not a request's ctx: see pipeline.
	ctx := context.Background()
	cmds := p.cmds[:len(batch)]
	for i, c := range batch {
		cmds[i] = p.pipe.EvalSha(ctx, c.script.Hash(), c.keys, c.args...)
	}
	if _, err := p.pipe.Exec(ctx); err != nil {
		retry := false
		for i, c := range batch {
			if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
				cmds[i] = c.script.Eval(ctx, p.pipe, c.keys, c.args...)
				retry = true
			}
		}
		if retry {
			p.pipe.Exec(ctx) // errors are in each cmd
		}
	}
	for i, c := range batch {
		c.res, c.err = cmds[i].Int64Slice()
	}
	clear(cmds)
}
