package httpbackend

import (
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/fielderr"
)

// Config is the block of a function with `backend: http`.
type Config struct {
	// URL is the Lambda Invoke API endpoint the event is POSTed to.
	// Required.
	URL string `yaml:"url"`
	// Timeout bounds each wait for the endpoint. Zero: the route's
	// integration timeout.
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency is the most invocations in flight at once, checked by the
	// gateway (past it 429 Too Many Requests), and the most open
	// connections. Zero: unlimited in flight, 512 connections.
	Concurrency int `yaml:"concurrency"`
}

// Validate reports every problem of the config as *fielderr.Error
// values, with paths relative to the function's block.
func (c *Config) Validate() []error {
	var p fielderr.List
	p.NotNegative("timeout", int64(c.Timeout))
	p.NotNegative("concurrency", int64(c.Concurrency))
	if c.URL == "" {
		p.Add("url", "required for backend http")
	} else {
		p.HTTPURL("url", c.URL)
	}
	return p
}

// Describe tells the Invoke API what is known of the function: its time
// limit, when the config sets one.
func (c *Config) Describe() backend.Description {
	return backend.Description{Timeout: c.Timeout}
}
