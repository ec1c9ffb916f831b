package async

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// MemoryStore is a Store in this process's memory: its events are lost
// when the process stops. It holds at most size accepted events (Add then
// answers ErrQueueFull); retries and destination records are never
// refused. It is safe for concurrent use.
type MemoryStore struct {
	mu       sync.Mutex
	size     int
	maxBytes int64
	count    int
	bytes    int64 // of the payloads held
	funcs    map[string]*memFunction
	delayed  delayHeap
	// ready is signalled (without blocking) when an event becomes
	// available to Take.
	ready chan struct{}
	// rotate is where Take starts in its list of functions, so that one
	// busy function does not starve the others.
	rotate int
}

// memFunction is one function's events.
type memFunction struct {
	queue []*Event            // due, in order of arrival
	all   map[*Event]struct{} // every event of the function in the store
}

// takeWait is the longest a Take waits for an event before returning none,
// so that the caller sees a change of its functions, and a closing queue
// does not wait long for a blocked XREADGROUP (go-redis does not cut one
// short when its context ends).
const takeWait = 250 * time.Millisecond

// NewMemoryStore returns an empty MemoryStore that accepts a new event
// while it holds fewer than size events and fewer than maxBytes bytes of
// payloads (≤ 0: DefaultQueueSize, DefaultQueueBytes). Retries and
// destination records count too, but are never refused: the bounds keep
// what clients can make the process hold, and an accepted event's
// successors must not be lost.
func NewMemoryStore(size int, maxBytes int64) *MemoryStore {
	if size <= 0 {
		size = DefaultQueueSize
	}
	if maxBytes <= 0 {
		maxBytes = DefaultQueueBytes
	}
	return &MemoryStore{size: size, maxBytes: maxBytes, funcs: map[string]*memFunction{}, ready: make(chan struct{}, 1)}
}

var _ Store = (*MemoryStore)(nil)

func (m *MemoryStore) fn(name string) *memFunction {
	f := m.funcs[name]
	if f == nil {
		f = &memFunction{all: map[*Event]struct{}{}}
		m.funcs[name] = f
	}
	return f
}

func (m *MemoryStore) signal() {
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// insert stores e as due now; the caller holds mu.
func (m *MemoryStore) insert(e *Event) {
	f := m.fn(e.Function)
	f.all[e] = struct{}{}
	f.queue = append(f.queue, e)
	m.count++
	m.bytes += int64(len(e.Payload))
}

// remove forgets a taken event; the caller holds mu.
func (m *MemoryStore) remove(e *Event) {
	if f := m.funcs[e.Function]; f != nil {
		if _, ok := f.all[e]; ok {
			delete(f.all, e)
			m.count--
			m.bytes -= int64(len(e.Payload))
		}
		if len(f.all) == 0 {
			delete(m.funcs, e.Function)
		}
	}
}

// Add stores e, or answers ErrQueueFull.
func (m *MemoryStore) Add(_ context.Context, e *Event) error {
	m.mu.Lock()
	if m.count >= m.size || m.bytes+int64(len(e.Payload)) > m.maxBytes {
		m.mu.Unlock()
		return ErrQueueFull
	}
	m.insert(e)
	m.mu.Unlock()
	m.signal()
	return nil
}

// Take returns up to max due events of functions, waiting up to takeWait
// for one.
func (m *MemoryStore) Take(ctx context.Context, functions []string, max int) ([]*Event, error) {
	timer := time.NewTimer(takeWait)
	defer timer.Stop()
	for {
		if evs := m.take(functions, max); len(evs) > 0 {
			return evs, nil
		}
		select {
		case <-m.ready:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *MemoryStore) take(functions []string, max int) []*Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Event
	n := len(functions)
	if n == 0 {
		return nil
	}
	m.rotate++
	// One event per function per round, so that functions share the slots.
	for more := true; more && len(out) < max; {
		more = false
		for i := 0; i < n && len(out) < max; i++ {
			f := m.funcs[functions[(m.rotate+i)%n]]
			if f == nil || len(f.queue) == 0 {
				continue
			}
			out = append(out, f.queue[0])
			f.queue[0] = nil
			f.queue = f.queue[1:]
			more = more || len(f.queue) > 0
		}
	}
	if len(out) > 0 && m.hasReady(functions) {
		m.signal() // another taker may use what is left
	}
	return out
}

func (m *MemoryStore) hasReady(functions []string) bool {
	for _, name := range functions {
		if f := m.funcs[name]; f != nil && len(f.queue) > 0 {
			return true
		}
	}
	return false
}

// Retry keeps next until due, in place of taken.
func (m *MemoryStore) Retry(_ context.Context, taken, next *Event, due time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(taken)
	f := m.fn(next.Function)
	f.all[next] = struct{}{}
	m.count++
	m.bytes += int64(len(next.Payload))
	heap.Push(&m.delayed, delayed{due: due, e: next})
	return nil
}

// Ack forgets taken and stores record, if any, as due now.
func (m *MemoryStore) Ack(_ context.Context, taken, record *Event) error {
	m.mu.Lock()
	m.remove(taken)
	if record != nil {
		m.insert(record)
	}
	m.mu.Unlock()
	if record != nil {
		m.signal()
	}
	return nil
}

// Promote moves the retries due at now to their function's queue. Retries
// of functions not listed are promoted too: they then wait with the
// function's other events.
func (m *MemoryStore) Promote(_ context.Context, _ []string, now time.Time) (time.Time, error) {
	m.mu.Lock()
	moved := false
	for len(m.delayed) > 0 && !m.delayed[0].due.After(now) {
		d := heap.Pop(&m.delayed).(delayed)
		f := m.fn(d.e.Function)
		f.queue = append(f.queue, d.e)
		moved = true
	}
	var next time.Time
	if len(m.delayed) > 0 {
		next = m.delayed[0].due
	}
	m.mu.Unlock()
	if moved {
		m.signal()
	}
	return next, nil
}

// Stats counts each function's events.
func (m *MemoryStore) Stats(context.Context) (map[string]StoreStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]StoreStats, len(m.funcs))
	for name, f := range m.funcs {
		var s StoreStats
		for e := range f.all {
			if s.Depth == 0 || e.Accepted.Before(s.Oldest) {
				s.Oldest = e.Accepted
			}
			s.Depth++
		}
		if s.Depth > 0 {
			out[name] = s
		}
	}
	return out, nil
}

// delayed is a retry waiting for its due time.
type delayed struct {
	due time.Time
	e   *Event
}

// delayHeap is a min-heap of retries by due time.
type delayHeap []delayed

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = delayed{}
	*h = old[:len(old)-1]
	return x
}
