package auth

import (
	"container/list"
	"sync"
	"time"
)

// maxCacheEntries bounds each result cache; past it the oldest entry goes.
const maxCacheEntries = 10_000

// ttlCache maps keys to values that expire, holding at most max entries and
// evicting the oldest insertion first. Lookups take a read lock and do not
// allocate. It is safe for concurrent use.
type ttlCache[V any] struct {
	_   noCopy
	mu  sync.RWMutex
	max int
	m   map[string]*cacheEntry[V]
	lru list.List // of *cacheEntry[V], oldest insertion at the front
}

// cacheEntry is immutable once in the map: put replaces, never updates.
type cacheEntry[V any] struct {
	key     string
	val     V
	expires time.Time
	elem    *list.Element
}

func newTTLCache[V any](max int) *ttlCache[V] {
	return &ttlCache[V]{max: max, m: make(map[string]*cacheEntry[V])}
}

// get returns the value for key unless it is missing or expired at now.
func (c *ttlCache[V]) get(key []byte, now time.Time) (V, bool) {
	c.mu.RLock()
	e := c.m[string(key)]
	c.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.val, true
}

// put stores val for key until expires, replacing any entry for key, and
// drops expired entries at the old end and the oldest entries past max.
func (c *ttlCache[V]) put(key string, val V, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		c.lru.Remove(old.elem)
		delete(c.m, key)
	}
	e := &cacheEntry[V]{key: key, val: val, expires: expires}
	e.elem = c.lru.PushBack(e)
	c.m[key] = e
	for f := c.lru.Front(); f != nil; f = c.lru.Front() {
		old := f.Value.(*cacheEntry[V])
		if len(c.m) <= c.max && now.Before(old.expires) {
			break
		}
		c.lru.Remove(f)
		delete(c.m, old.key)
	}
}
