package async

import (
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// Config is a function's `async:` block: how Lambda's asynchronous
// invocation config treats its Event invocations.
type Config struct {
	// MaximumRetryAttempts is how many times a function error is retried,
	// 0–2; nil: 2, Lambda's default.
	MaximumRetryAttempts *int `yaml:"maximumRetryAttempts"`
	// MaximumEventAge is how long an event may wait in the queue (retries
	// of throttles and system errors included), 60s–6h; zero: 6h.
	MaximumEventAge time.Duration `yaml:"maximumEventAge"`
	// OnSuccess receives the destination record of each success.
	OnSuccess *Destination `yaml:"onSuccess"`
	// OnFailure receives the destination record of each event dropped:
	// retries exhausted or too old.
	OnFailure *Destination `yaml:"onFailure"`
}

// Destination names where a destination record goes: another function of
// the config, invoked asynchronously as Lambda invokes a function
// destination.
type Destination struct {
	Function string `yaml:"function"`
}

// Lambda's bounds and defaults for the asynchronous invocation config.
const (
	DefaultRetryAttempts = 2
	MaxRetryAttempts     = 2
	MinEventAge          = 60 * time.Second
	MaxEventAge          = 6 * time.Hour
)

// RetryAttempts is MaximumRetryAttempts with its default.
func (c *Config) RetryAttempts() int {
	if c == nil || c.MaximumRetryAttempts == nil {
		return DefaultRetryAttempts
	}
	return *c.MaximumRetryAttempts
}

// EventAge is MaximumEventAge with its default.
func (c *Config) EventAge() time.Duration {
	if c == nil || c.MaximumEventAge == 0 {
		return MaxEventAge
	}
	return c.MaximumEventAge
}

// Validate reports every problem as *fielderr.Error values. That a
// destination names a function of the config is the composing config's
// check, which knows the names.
func (c *Config) Validate() []error {
	var errs fielderr.List
	if n := c.MaximumRetryAttempts; n != nil && (*n < 0 || *n > MaxRetryAttempts) {
		errs.Add("maximumRetryAttempts", "must be 0, 1 or 2, got %d", *n)
	}
	if a := c.MaximumEventAge; a != 0 && (a < MinEventAge || a > MaxEventAge) {
		errs.Add("maximumEventAge", "must be between 60s and 6h, got %s", a)
	}
	for _, d := range []struct {
		path string
		dest *Destination
	}{{"onSuccess", c.OnSuccess}, {"onFailure", c.OnFailure}} {
		if d.dest != nil && d.dest.Function == "" {
			errs.Add(d.path+".function", "required: the function that receives the destination record")
		}
	}
	return errs
}
