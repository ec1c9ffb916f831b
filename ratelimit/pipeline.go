package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/redisconf"
)

// maxBatch bounds the scripts sent in one round trip, so that one reply
// stays small and quick to read and its waiters are not held behind a
// long queue; the rest go in the next round trip.
const maxBatch = 128

// pipeline shares Redis round trips between concurrent requests: while
// maxInFlight round trips are in flight, the scripts of the requests that
// arrive queue up, and the next round trip sends them together, one EVALSHA
// each, in one pipeline. Each script still runs alone and atomically on the
// server, in queue order, so every answer is the one a round trip of its own
// would have got; only the transport is shared.
//
// There is no background goroutine: a request that finds a lane free leads
// a round trip, sending its own script and up to maxBatch-1 of the queue's,
// and, once their answers are handed out, passes its lane and the lead to
// the first request still waiting. A request leads at most one round trip,
// so it waits at most for a round trip in flight and its own.
//
// A round trip is bounded by the client's timeouts (redisconf.Config.Timeout)
// and not by any one request's ctx, whose cancellation must not fail the
// others' scripts. A request whose ctx ends while it waits in the queue
// leaves at once, and one that has waited the timeout leaves with
// errQueueTimeout (as it would have left go-redis's pool); its script is
// then not sent. So a request waits at most twice the timeout, however
// long the queue.
type pipeline struct {
	_    noCopy
	wait time.Duration // the most a call waits in the queue

	mu    sync.Mutex
	queue []*call // waiting, or abandoned and not yet skipped
	free  []*lane // the lanes no round trip holds; none while calls wait
}

// errQueueTimeout is the error of a request that waited the timeout in the
// queue: Redis is slow.
var errQueueTimeout = errors.New("waited the timeout for a round trip")

// maxInFlight is the most round trips in flight at once: two, so that two
// lone requests do not wait for each other, while under load each round
// trip still carries about half of the concurrent requests.
const maxInFlight = 2

// lane is what one round trip needs; only its leader touches it.
type lane struct {
	c     *redis.Client
	batch []*call
	cmds  []*redis.Cmd
	pipe  redis.Pipeliner
	// merged holds the calls of a round trip that run as one script run
	// (batching), and their keys and arguments together.
	merged []*call
	keys   []string
	args   []any
	rest   []*call // the others, each its own command
}

// batching is a script that takes the keys and arguments of several calls
// in turn, in one run, and answers with their replies one after another:
// a round trip's calls of it are sent as one command.
type batching struct {
	script            *redis.Script
	keys, args, reply int // of each call
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
	// in (state sent) or the call must lead (state leading) with lane.
	done  chan struct{}
	timer *time.Timer // bounds the wait in the queue; kept with the call
	lane  *lane
	res   []int64
	err   error

	keyBuf [2]string
	argBuf [5]any
	resBuf [4]int64
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

// releaseCall returns c to the pool. Never release an abandoned call: it may
// still be in the queue.
func releaseCall(c *call) {
	clear(c.keyBuf[:])
	clear(c.argBuf[:])
	c.script, c.keys, c.args, c.lane, c.res, c.err = nil, nil, nil, nil, nil, nil
	calls.Put(c)
}

// newPipeline returns a pipeline on c, whose calls wait at most wait in the
// queue.
func newPipeline(c *redis.Client, wait time.Duration) *pipeline {
	if wait <= 0 {
		wait = redisconf.DefaultTimeout
	}
	p := &pipeline{wait: wait}
	for range maxInFlight {
		p.free = append(p.free, &lane{
			c:     c,
			batch: make([]*call, 0, maxBatch),
			cmds:  make([]*redis.Cmd, maxBatch+1),
			pipe:  c.Pipeline(),
		})
	}
	return p
}

// do runs c's script and sets c.res or c.err. It returns false when c left
// the queue unsent (its ctx ended, or it waited p.wait): c.err says why,
// and c must not be released, since the queue may still hold it.
func (p *pipeline) do(ctx context.Context, c *call) bool {
	if err := ctx.Err(); err != nil {
		c.err = err
		return true
	}
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		l := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		p.lead(c, l)
		return true
	}
	c.state.Store(waiting)
	p.queue = append(p.queue, c)
	p.mu.Unlock()
	if c.timer == nil {
		c.timer = time.NewTimer(p.wait)
	} else {
		c.timer.Reset(p.wait)
	}
	var err error
	select {
	case <-c.done:
	case <-ctx.Done():
		err = ctx.Err()
	case <-c.timer.C:
		err = errQueueTimeout
	}
	c.timer.Stop()
	if err != nil {
		if c.state.CompareAndSwap(waiting, abandoned) {
			c.err = err
			return false
		}
		<-c.done // sent or leading: the signal is on its way
	}
	if c.state.Load() == leading {
		p.lead(c, c.lane)
	}
	return true
}

// lead sends c's script and the queue's first ones on lane l, hands out
// the answers and passes l and the lead on.
func (p *pipeline) lead(c *call, l *lane) {
	p.mu.Lock()
	n := min(len(p.queue), maxBatch-1)
	l.batch = append(append(l.batch[:0], c), p.queue[:n]...)
	p.pop(n)
	p.mu.Unlock()

	live := l.batch[:1]
	for _, w := range l.batch[1:] {
		if w.state.CompareAndSwap(waiting, sent) {
			live = append(live, w)
		}
	}
	l.exec(live)
	for _, w := range live[1:] {
		w.done <- struct{}{}
	}
	clear(l.batch)

	p.mu.Lock()
	var next *call
	for next == nil && len(p.queue) > 0 {
		if w := p.queue[0]; w.state.CompareAndSwap(waiting, leading) {
			next = w
		}
		p.pop(1) // the next leader, or abandoned
	}
	if next == nil {
		p.free = append(p.free, l)
		p.mu.Unlock()
		return
	}
	next.lane = l
	p.mu.Unlock()
	next.done <- struct{}{}
}

// pop removes the queue's first n calls. Call it with p.mu held.
func (p *pipeline) pop(n int) {
	rest := copy(p.queue, p.queue[n:])
	clear(p.queue[rest:])
	p.queue = p.queue[:rest]
}

// exec runs the scripts of batch in one round trip: a pipeline, or, for a
// lone command, a plain one (a pipeline costs an allocation more). The
// calls of gcraBatch's script go as one command, in queue order; each
// call's reply is its part of that command's. A script the server does
// not know (flushed, or a restarted server) did not run, so it is sent
// again in full, in a second round trip.
func (l *lane) exec(batch []*call) {
	// Not a request's ctx: see pipeline.
	ctx := context.Background()
	b := gcraBatch
	l.merged, l.keys, l.args, l.rest = l.merged[:0], l.keys[:0], l.args[:0], l.rest[:0]
	for _, c := range batch {
		if c.script == b.script {
			l.merged = append(l.merged, c)
			l.keys = append(l.keys, c.keys...)
			l.args = append(l.args, c.args...)
		} else {
			l.rest = append(l.rest, c)
		}
	}
	rest := l.rest
	if len(rest) == 0 {
		l.execMerged(ctx, b)
		return
	}
	if len(l.merged) == 0 && len(rest) == 1 {
		c := rest[0]
		cmd := c.script.Run(ctx, l.c, c.keys, c.args...)
		c.res, c.err = appendInt64s(c.resBuf[:0], cmd)
		l.clearMerged()
		return
	}
	cmds := l.cmds[:len(rest)+1]
	for i, c := range rest {
		cmds[i] = l.pipe.EvalSha(ctx, c.script.Hash(), c.keys, c.args...)
	}
	if len(l.merged) > 0 {
		cmds[len(rest)] = l.pipe.EvalSha(ctx, b.script.Hash(), l.keys, l.args...)
	} else {
		cmds = cmds[:len(rest)]
	}
	if _, err := l.pipe.Exec(ctx); err != nil {
		retry := false
		for i, cmd := range cmds {
			if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
				if i < len(rest) {
					cmds[i] = rest[i].script.Eval(ctx, l.pipe, rest[i].keys, rest[i].args...)
				} else {
					cmds[i] = b.script.Eval(ctx, l.pipe, l.keys, l.args...)
				}
				retry = true
			}
		}
		if retry {
			l.pipe.Exec(ctx) // errors are in each cmd
		}
	}
	for i, c := range rest {
		c.res, c.err = appendInt64s(c.resBuf[:0], cmds[i])
	}
	if len(l.merged) > 0 {
		l.split(b, cmds[len(rest)])
	}
	clear(cmds)
	l.clearMerged()
}

// execMerged runs the merged calls alone: one command, no pipeline.
func (l *lane) execMerged(ctx context.Context, b batching) {
	l.split(b, b.script.Run(ctx, l.c, l.keys, l.args...))
	l.clearMerged()
}

// split hands each merged call its part of cmd's reply.
func (l *lane) split(b batching, cmd *redis.Cmd) {
	vals, err := cmd.Slice()
	if err == nil && len(vals) != b.reply*len(l.merged) {
		err = fmt.Errorf("unexpected reply of %d values for %d calls", len(vals), len(l.merged))
	}
	for i, c := range l.merged {
		if err != nil {
			c.res, c.err = nil, err
			continue
		}
		c.res, c.err = appendInts(c.resBuf[:0], vals[i*b.reply:(i+1)*b.reply])
	}
}

func (l *lane) clearMerged() {
	clear(l.merged)
	clear(l.keys)
	clear(l.args)
	clear(l.rest)
}

// appendInt64s appends cmd's reply, an array of integers, to dst: what
// Cmd.Int64Slice returns, without allocating a slice for it.
func appendInt64s(dst []int64, cmd *redis.Cmd) ([]int64, error) {
	vals, err := cmd.Slice()
	if err != nil {
		return nil, err
	}
	return appendInts(dst, vals)
}

// appendInts appends vals, integers, to dst.
func appendInts(dst []int64, vals []any) ([]int64, error) {
	for _, v := range vals {
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("unexpected reply %v", vals)
		}
		dst = append(dst, n)
	}
	return dst, nil
}
