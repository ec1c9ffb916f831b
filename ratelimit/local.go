package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidQuota is returned by Count for a quota that Validate rejects.
var ErrInvalidQuota = errors.New("ratelimit: invalid quota")

// Local is a Store in this process's memory: buckets and quota counters in
// sharded maps, each shard capped so that a flood of distinct keys cannot
// grow memory without bound. It is safe for concurrent use.
//
// When a shard is full, a new key takes the place of an idle entry (a full
// bucket, or a counter of a past period: nothing is lost) found among the
// next few at the eviction hand, else of one not used since the hand last
// passed it (CLOCK, an approximation of least recently used). A bucket
// evicted while in use comes back full; that takes about maxKeys/shards
// other keys hashing to its shard between two of its requests, and the
// route-wide bucket still applies.
//
// Local ignores ctx and never returns an error from Take.
type Local struct {
	_       noCopy
	seed    maphash.Seed
	mask    uint64
	buckets []shard
	quotas  []shard
}

// shardsMax is the most shards; fewer when maxKeys is small, so that each
// holds at least shardMinKeys.
const (
	shardsMax    = 128
	shardMinKeys = 16
	// evictScan bounds the entries looked at for an eviction.
	evictScan = 32
)

type shard struct {
	mu   sync.RWMutex
	m    map[string]*entry
	ents []*entry // every entry, in the order the eviction hand visits them
	hand int
	cap  int
	_    [64]byte // keep shards on separate cache lines
}

// entry is one bucket or quota counter. Fields other than tat and ref are
// guarded by the shard's write lock.
type entry struct {
	key string
	// tat: for a bucket, the GCRA theoretical arrival time (Unix ns), read
	// and swapped atomically under the shard's read lock; for a quota
	// counter, the start of the counted period (Unix ns).
	tat atomic.Int64
	// n (quota) is the requests counted in the period.
	n int64
	// first (quota) is the start of the first period counted (Unix ns).
	first int64
	// end (quota) is the end of the counted period (Unix ns).
	end int64
	// ref is set on use and cleared by the eviction hand.
	ref atomic.Bool
}

// NewLocal returns a local store that tracks at most maxKeys buckets, and
// separately at most maxKeys quota counters. maxKeys <= 0 means
// DefaultMaxKeys. The cap is split evenly between shards, so the count may
// stay a little under it.
func NewLocal(maxKeys int) *Local {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	n := shardsMax
	if want := maxKeys / shardMinKeys; want < n {
		n = 1
		if want > 1 {
			n = 1 << (bits.Len(uint(want)) - 1)
		}
	}
	l := &Local{seed: maphash.MakeSeed(), mask: uint64(n - 1)}
	l.buckets = newShards(n, maxKeys/n)
	l.quotas = newShards(n, maxKeys/n)
	return l
}

func newShards(n, per int) []shard {
	s := make([]shard, n)
	for i := range s {
		s[i].m = make(map[string]*entry)
		s[i].cap = per
	}
	return s
}

func (l *Local) shard(tab []shard, key []byte) *shard {
	return &tab[maphash.Bytes(l.seed, key)&l.mask]
}

// Take implements Store. It does not allocate when key is already tracked.
func (l *Local) Take(_ context.Context, key []byte, lim Limit, now time.Time) (Decision, error) {
	if d, ok := blocked(lim); ok {
		return d, nil
	}
	t := interval(lim.Rate)
	tau := span(t, lim.Burst)
	ns := now.UnixNano()
	sh := l.shard(l.buckets, key)

	sh.mu.RLock()
	if e := sh.m[string(key)]; e != nil {
		d := take(e, ns, t, tau, lim.Burst)
		sh.mu.RUnlock()
		return d, nil
	}
	sh.mu.RUnlock()

	sh.mu.Lock()
	e := sh.m[string(key)]
	if e == nil {
		e = sh.insert(key, func(e *entry) bool { return e.tat.Load() <= ns })
	}
	d := take(e, ns, t, tau, lim.Burst)
	sh.mu.Unlock()
	return d, nil
}

// take applies gcra to e's bucket, with a compare-and-swap so that readers
// of the same shard may run it at once.
func take(e *entry, now, t, tau int64, burst int) Decision {
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	for {
		old := e.tat.Load()
		tat, d := gcra(old, now, t, tau, burst)
		if !d.Allowed || e.tat.CompareAndSwap(old, tat) {
			return d
		}
	}
}

// insert adds key to the shard, evicting an entry when it is full, and
// returns the new entry. idle reports whether evicting an entry loses
// nothing. The caller holds the write lock.
func (sh *shard) insert(key []byte, idle func(*entry) bool) *entry {
	k := string(key)
	if len(sh.ents) < sh.cap {
		e := &entry{key: k}
		sh.ents = append(sh.ents, e)
		sh.m[k] = e
		return e
	}
	e := sh.ents[sh.victim(idle)]
	delete(sh.m, e.key)
	e.key = k
	e.tat.Store(0)
	e.n, e.first, e.end = 0, 0, 0
	e.ref.Store(false)
	sh.m[k] = e
	return e
}

// victim returns the index of the entry to evict: of the next evictScan
// entries from the hand, the first idle one, else the first one not used
// since the hand last passed it (CLOCK: the hand clears the used mark of
// those it passes), else the one after them. The caller holds the write
// lock.
func (sh *shard) victim(idle func(*entry) bool) int {
	n := len(sh.ents)
	unused := -1
	for range min(evictScan, n) {
		i := sh.next()
		e := sh.ents[i]
		if idle(e) {
			return i
		}
		if !e.ref.Swap(false) && unused < 0 {
			unused = i
		}
	}
	if unused >= 0 {
		return unused
	}
	return sh.next()
}

// next returns the hand's entry and moves the hand on.
func (sh *shard) next() int {
	i := sh.hand
	if sh.hand++; sh.hand == len(sh.ents) {
		sh.hand = 0
	}
	return i
}

// Count implements Store. The first period of a key, where Quota.Offset
// applies, is the one in which this store first counted it (again after
// the counter was evicted).
func (l *Local) Count(_ context.Context, key []byte, q Quota, now time.Time) (Decision, error) {
	p, ok := parsePeriod(q.Period)
	if !ok || q.Limit < 1 {
		return Decision{}, ErrInvalidQuota
	}
	startT, end := p.bounds(now)
	start, ns := startT.UnixNano(), now.UnixNano()
	sh := l.shard(l.quotas, key)

	sh.mu.Lock()
	e := sh.m[string(key)]
	if e == nil {
		e = sh.insert(key, func(e *entry) bool { return e.end <= ns })
		e.first = start
		e.tat.Store(start)
	}
	if e.tat.Load() != start { // a new period (or, with a clock that went back, an old one)
		e.tat.Store(start)
		e.n = 0
	}
	e.end = end.UnixNano()
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	limit := quotaLimit(&q, e.first == start)
	allowed := e.n < limit
	if allowed {
		e.n++
	}
	n := e.n
	sh.mu.Unlock()
	return quotaDecision(allowed, n, limit, now, end), nil
}

// Len returns how many buckets the store tracks.
func (l *Local) Len() int {
	n := 0
	for i := range l.buckets {
		sh := &l.buckets[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// Close implements Store; a Local has nothing to release.
func (l *Local) Close() error { return nil }

// noCopy marks structs that must not be copied after first use (go vet's
// copylocks check).
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
