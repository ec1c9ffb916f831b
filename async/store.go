package async

import (
	"context"
	"time"
)

// Store keeps the accepted events until they are delivered: in memory
// (NewMemoryStore) or in Redis (NewRedisStore), where they outlive the
// replica that accepted them. A Queue is its only caller; implementations
// are safe for concurrent use.
//
// An event is taken (Take) and then handed back exactly once: as a retry
// (Retry) or done (Ack). Until then the store keeps it, so that an event
// whose replica stops is delivered again (at least once).
type Store interface {
	// Add stores a new event; it returns once the event is stored. The
	// memory store answers ErrQueueFull when it holds its size.
	Add(ctx context.Context, e *Event) error
	// Take returns at most max events of the given functions that are due,
	// waiting a short while (a quarter of a second) for one to come; no
	// events and no error means none came. Events of other functions stay
	// in the store.
	Take(ctx context.Context, functions []string, max int) ([]*Event, error)
	// Retry stores next, due at due, in place of the taken event: the
	// taken one is released only once next is stored.
	Retry(ctx context.Context, taken, next *Event, due time.Time) error
	// Ack releases the taken event; record, when not nil, is a new event
	// (a destination record) stored before the taken one is released.
	// Neither counts against the memory store's size.
	Ack(ctx context.Context, taken, record *Event) error
	// Promote makes the retries of the given functions that are due at now
	// available to Take, and returns when the next retry falls due (zero:
	// none known).
	Promote(ctx context.Context, functions []string, now time.Time) (time.Time, error)
	// Stats reports, for each function with events in the store (taken
	// ones and retries included), how many there are and the oldest's
	// acceptance time.
	Stats(ctx context.Context) (map[string]StoreStats, error)
}

// StoreStats are one function's events in a store.
type StoreStats struct {
	// Depth is how many events wait, are being invoked, or wait to retry.
	Depth int
	// Oldest is when the oldest of them was accepted.
	Oldest time.Time
}
