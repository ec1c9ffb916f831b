package async

import (
	"fmt"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// Settings is the root `async:` block: how this replica's queue runs the
// Event invocations of every function. Zero values are defaults
// (SetDefaults fills them in).
type Settings struct {
	// Workers is how many invocations run at once, across functions;
	// default 16. Invocations mostly wait on their function, and each
	// function's own concurrency still limits it (a throttle is requeued).
	Workers int `yaml:"workers"`
	// QueueSize bounds, in memory, how many events the queue holds (a new
	// one past it: ErrQueueFull); default 10000. Retries and destination
	// records of accepted events count but are never refused: they must
	// not be lost. The Redis store is unbounded.
	QueueSize int `yaml:"queueSize"`
	// QueueBytes bounds, in memory, the bytes of the events' payloads
	// the queue holds (a new event past it: ErrQueueFull); default 256 MiB.
	// Events are up to 1 MB and destination records up to 7 MB, so the
	// count alone would let clients make the process hold gigabytes.
	QueueBytes int64 `yaml:"queueBytes"`
	// RetryDelays are the waits before the 1st and the 2nd retry of a
	// function error; default [1m, 2m], as Lambda. A retry past the list
	// waits as long as its last delay.
	RetryDelays []time.Duration `yaml:"retryDelays"`
	// Backoff bounds the exponential wait before an event that was
	// throttled or met a system error is tried again; default 1s to 5m.
	Backoff Backoff `yaml:"backoff"`
	// ClaimTimeout is how long an event taken by a replica that stopped
	// answering stays with it before another replica takes it over (Redis
	// store only); default 16m, longer than Lambda's longest function
	// timeout, so that a live replica's invocation is never taken from it.
	ClaimTimeout time.Duration `yaml:"claimTimeout"`
}

// Backoff is the range of the exponential wait between attempts of a
// throttled event: Min after the first throttle, doubling up to Max.
type Backoff struct {
	// Min is the first wait; default 1s.
	Min time.Duration `yaml:"min"`
	// Max caps the wait; default 5m.
	Max time.Duration `yaml:"max"`
}

// The defaults of Settings.
const (
	DefaultWorkers      = 16
	DefaultQueueSize    = 10000
	DefaultQueueBytes   = 256 << 20
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 5 * time.Minute
	DefaultClaimTimeout = 16 * time.Minute
)

// DefaultRetryDelays are Lambda's waits before the retries of a function
// error.
var DefaultRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// SetDefaults fills in every zero field.
func (s *Settings) SetDefaults() {
	if s.Workers == 0 {
		s.Workers = DefaultWorkers
	}
	if s.QueueSize == 0 {
		s.QueueSize = DefaultQueueSize
	}
	if s.QueueBytes == 0 {
		s.QueueBytes = DefaultQueueBytes
	}
	if len(s.RetryDelays) == 0 {
		s.RetryDelays = append([]time.Duration(nil), DefaultRetryDelays...)
	}
	if s.Backoff.Min == 0 {
		s.Backoff.Min = DefaultBackoffMin
	}
	if s.Backoff.Max == 0 {
		s.Backoff.Max = DefaultBackoffMax
	}
	if s.ClaimTimeout == 0 {
		s.ClaimTimeout = DefaultClaimTimeout
	}
}

// Validate reports every problem as *fielderr.Error values; zero fields
// (defaults) are valid.
func (s *Settings) Validate() []error {
	var errs fielderr.List
	errs.NotNegative("workers", int64(s.Workers))
	errs.NotNegative("queueSize", int64(s.QueueSize))
	errs.NotNegative("queueBytes", s.QueueBytes)
	for i, d := range s.RetryDelays {
		if d <= 0 {
			errs.Add(fmt.Sprintf("retryDelays[%d]", i), "must be greater than 0, got %s", d)
		}
	}
	errs.NotNegative("backoff.min", int64(s.Backoff.Min))
	errs.NotNegative("backoff.max", int64(s.Backoff.Max))
	if s.Backoff.Min > 0 && s.Backoff.Max > 0 && s.Backoff.Max < s.Backoff.Min {
		errs.Add("backoff.max", "must not be less than backoff.min (%s), got %s", s.Backoff.Min, s.Backoff.Max)
	}
	errs.NotNegative("claimTimeout", int64(s.ClaimTimeout))
	return errs
}
