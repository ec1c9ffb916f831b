package awslambda

import (
	"regexp"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/fielderr"
)

// Config is the block of a function with `backend: lambda`.
type Config struct {
	// FunctionName is the Lambda function's name or ARN. Default: the
	// function's key in `functions:`.
	FunctionName string `yaml:"functionName"`
	// Qualifier is a version or alias. Default $LATEST.
	Qualifier string `yaml:"qualifier"`
	// Region overrides the region of the AWS configuration.
	Region string `yaml:"region"`
	// Endpoint overrides the Lambda API endpoint, e.g. LocalStack's.
	Endpoint string `yaml:"endpoint"`
	// Timeout bounds each invocation. Zero: the route's integration timeout.
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency is the most invocations in flight at once, checked by the
	// gateway; past it 429 Too Many Requests. Zero: unlimited.
	Concurrency int `yaml:"concurrency"`
}

// qualifier is the Invoke API's Qualifier pattern.
var qualifier = regexp.MustCompile(`^[a-zA-Z0-9$_-]{1,128}$`)

// Validate reports every problem of the config as *fielderr.Error
// values, with paths relative to the function's block.
func (c *Config) Validate() []error {
	var p fielderr.List
	p.NotNegative("timeout", int64(c.Timeout))
	p.NotNegative("concurrency", int64(c.Concurrency))
	if c.Qualifier != "" && !qualifier.MatchString(c.Qualifier) {
		p.Add("qualifier", "want a version or alias (letters, digits, $, _ and -), got %q", c.Qualifier)
	}
	if c.Endpoint != "" {
		p.HTTPURL("endpoint", c.Endpoint)
	}
	return p
}

// Describe tells the Invoke API what is known locally of the function: its
// time limit, when the config sets one (the rest lives in AWS).
func (c *Config) Describe() backend.Description {
	return backend.Description{Timeout: c.Timeout}
}
