package builtin

import (
	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/fielderr"
)

// Config is the block of a function with `backend: builtin`.
type Config struct {
	// Handler is the builtin's name: echo or mock. Required.
	Handler string `yaml:"handler"`
	// Response (mock) is the result the mock returns, as if a function had
	// returned it. Required for mock.
	Response any `yaml:"response"`
	// Concurrency is the most invocations in flight at once, checked by the
	// gateway; past it 429 Too Many Requests. Zero: unlimited.
	Concurrency int `yaml:"concurrency"`
}

// Validate reports every problem of the config as *fielderr.Error
// values, with paths relative to the function's block.
func (c *Config) Validate() []error {
	var p fielderr.List
	p.NotNegative("concurrency", int64(c.Concurrency))
	switch c.Handler {
	case "echo":
	case "mock":
		if c.Response == nil {
			p.Add("response", "required for the mock builtin")
		}
	case "":
		p.Add("handler", "required (echo or mock)")
	default:
		p.Add("handler", "unknown builtin %q (want echo or mock)", c.Handler)
	}
	return p
}

// Describe tells the Invoke API the builtin's name as its handler.
func (c *Config) Describe() backend.Description {
	return backend.Description{Handler: c.Handler}
}
