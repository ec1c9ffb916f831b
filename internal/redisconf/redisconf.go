// Package redisconf is the one way Portico's parts describe and dial a
// Redis: the config block (`redis:` at the root, `ratelimit.redis`), its
// checks, and the client options every user shares — a bound on each
// operation and no hidden retries, so that each caller decides what a
// failure means.
package redisconf

import (
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/portico/portico/internal/fielderr"
)

// DefaultTimeout bounds one operation (pool wait, dial, write, read) when
// Config.Timeout is 0.
const DefaultTimeout = 50 * time.Millisecond

// Config says where a Redis is and how long to wait for it.
type Config struct {
	// URL is redis://[user:password@]host:port/db, rediss:// for TLS, or
	// unix://.
	URL string `yaml:"url"`
	// Timeout bounds one operation: waiting for a pooled connection,
	// dialing, writing and reading. Zero: DefaultTimeout (50ms). Blocking
	// reads (XREADGROUP BLOCK) wait their block time on top.
	Timeout time.Duration `yaml:"timeout"`
	// PoolSize is the most connections per process. Zero: go-redis's
	// default, 10 per GOMAXPROCS.
	PoolSize int `yaml:"poolSize"`
}

// Validate reports every problem as *fielderr.Error values; a missing URL
// is the caller's to report, since only it knows whether one is needed.
func (c *Config) Validate() []error {
	var errs fielderr.List
	if c.URL != "" {
		// Messages leave the URL out: it may hold a password.
		if u, err := url.Parse(c.URL); err != nil {
			errs.Add("url", "not a valid URL")
		} else if u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix" {
			errs.Add("url", "want redis://host:port/db, rediss:// or unix://, got scheme %q", u.Scheme)
		} else if _, err := c.Options(); err != nil {
			errs.Add("url", "%v", err)
		}
	}
	errs.NotNegative("timeout", int64(c.Timeout))
	errs.NotNegative("poolSize", int64(c.PoolSize))
	return errs
}

// Options are the go-redis options for c: every operation bounded by
// Timeout, one dial per attempt, no retries, and none of the handshakes a
// plain Redis does not need.
func (c *Config) Options() (*redis.Options, error) {
	if c.URL == "" {
		return nil, fmt.Errorf("redis url is empty")
	}
	opt, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.PoolTimeout = timeout
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1 // none
	opt.DialerRetries = 1
	opt.DisableIdentity = true // no CLIENT SETINFO on connect
	opt.Protocol = 2           // no HELLO on connect
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	if c.PoolSize > 0 {
		opt.PoolSize = c.PoolSize
	}
	return opt, nil
}

// NewClient returns a client for c. It does not connect: the first
// operation does, so that Portico starts while Redis is down.
func (c *Config) NewClient() (*redis.Client, error) {
	opt, err := c.Options()
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}
