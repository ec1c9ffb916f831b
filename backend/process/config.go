package process

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// Config is the block of a function with `backend: process`.
type Config struct {
	// Handler is the executable, a folder holding `bootstrap`, or a .zip
	// package; relative to the config file's folder. Required unless
	// Runtime and Source are given.
	Handler string `yaml:"handler" config:"path"`
	// Runtime "go" builds Source with the local Go toolchain.
	Runtime string `yaml:"runtime"`
	// Source (runtime go) is the folder of the function's main package,
	// relative to the config file's folder.
	Source string `yaml:"source" config:"path"`
	// Timeout is the function's own limit, at most 900s. Zero:
	// DefaultTimeout (3s, Lambda's default).
	Timeout time.Duration `yaml:"timeout"`
	// Memory in MB, 128 to 10240: AWS_LAMBDA_FUNCTION_MEMORY_SIZE and a hard
	// limit where the OS allows. Zero: DefaultMemoryMB (128).
	Memory int `yaml:"memory"`
	// Concurrency is the most instances; past it a request waits
	// QueueTimeout, then gets Lambda's throttle (a 500). Zero:
	// DefaultConcurrency (10).
	Concurrency int `yaml:"concurrency"`
	// Env is added to the function's environment; Lambda's reserved
	// variables cannot be set, and all of it is at most 4 KB.
	Env map[string]string `yaml:"env"`
	// InheritEnv names variables copied from Portico's own environment
	// into the function's, e.g. the AWS credentials the function should
	// use; a name Portico does not have is left unset. Default: none, so
	// nothing of Portico's environment reaches a function unless listed.
	InheritEnv []string `yaml:"inheritEnv"`
	// IdleTimeout stops an instance unused this long. Zero:
	// DefaultIdleTimeout (5m).
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// MinInstances are started at Start and kept warm. Default 0.
	MinInstances int `yaml:"minInstances"`
	// QueueTimeout is how long a request waits for an instance when all
	// Concurrency are busy before it is throttled. Zero:
	// DefaultQueueTimeout (100ms).
	QueueTimeout time.Duration `yaml:"queueTimeout"`
}

// Validate reports every problem of the config as *fielderr.Error
// values, with paths relative to the function's block.
func (c *Config) Validate() []error {
	var p fielderr.List
	c.validateCode(&p)
	c.validateLimits(&p)
	c.validateEnv(&p)
	c.validateInheritEnv(&p)
	return p
}

// validateCode checks that the config names the function's code one way.
// A source without a runtime is a missing handler: the first case.
func (c *Config) validateCode(p *fielderr.List) {
	switch {
	case c.Handler == "" && c.Runtime == "":
		p.Add("handler", "required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)")
	case c.Handler != "" && (c.Runtime != "" || c.Source != ""):
		p.Add("handler", "give either handler or runtime+source, not both")
	case c.Runtime != "" && c.Runtime != "go":
		p.Add("runtime", "unknown runtime %q (want go)", c.Runtime)
	case c.Runtime == "go" && c.Source == "":
		p.Add("source", "required with runtime go: the folder of the function's main package")
	}
}

// validateLimits checks the limits against Lambda's and each other.
func (c *Config) validateLimits(p *fielderr.List) {
	p.NotNegative("timeout", int64(c.Timeout))
	p.NotNegative("concurrency", int64(c.Concurrency))
	if c.Timeout > 900*time.Second {
		p.Add("timeout", "at most 900s (Lambda's limit)")
	}
	if c.Memory != 0 && (c.Memory < 128 || c.Memory > 10240) {
		p.Add("memory", "want 128 to 10240 MB, got %d", c.Memory)
	}
	switch limit := c.Concurrency; {
	case c.MinInstances < 0:
		p.Add("minInstances", "must not be negative")
	case limit > 0 && c.MinInstances > limit:
		p.Add("minInstances", "more than concurrency (%d)", limit)
	case limit == 0 && c.MinInstances > DefaultConcurrency:
		p.Add("minInstances", "more than the default concurrency (%d)", DefaultConcurrency)
	}
	p.NotNegative("idleTimeout", int64(c.IdleTimeout))
	p.NotNegative("queueTimeout", int64(c.QueueTimeout))
}

// maxEnvBytes is Lambda's limit on the size of a function's variables.
const maxEnvBytes = 4096

// validateEnv refuses Lambda's reserved variables and more than Lambda's
// 4 KB, as deploying the function would.
func (c *Config) validateEnv(p *fielderr.List) {
	size := 0
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		size += len(k) + len(c.Env[k])
		if reserved(k) {
			p.Add("env."+k, "reserved by Lambda: it cannot be set")
		}
	}
	if size > maxEnvBytes {
		p.Add("env", "%d bytes: Lambda allows at most 4 KB of environment variables", size)
	}
}

// validateInheritEnv checks each inherited name: a variable name, not one
// Lambda reserves (but the credentials), listed once, not also in Env.
func (c *Config) validateInheritEnv(p *fielderr.List) {
	for i, k := range c.InheritEnv {
		path := fmt.Sprintf("inheritEnv[%d]", i)
		_, inEnv := c.Env[k]
		switch {
		case !envName.MatchString(k):
			p.Add(path, "want a variable name (letters, digits and _, not starting with a digit), got %q", k)
		case reserved(k) && !credentialEnv[k]:
			p.Add(path, "%s is reserved by Lambda: it cannot be inherited", k)
		case slices.Contains(c.InheritEnv[:i], k):
			p.Add(path, "%s is listed twice", k)
		case inEnv:
			p.Add(path, "%s is also set in env: give one", k)
		}
	}
}

// envName is a portable environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reserved reports whether Lambda sets k, so that a function cannot.
func reserved(k string) bool { return reservedEnv[k] || strings.HasPrefix(k, "AWS_LAMBDA_") }

// reservedEnv are the variables Lambda sets and functions cannot override,
// besides every AWS_LAMBDA_ one.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// credentialEnv are the reserved variables a function may inherit from
// Portico: on Lambda they hold the execution role's credentials.
var credentialEnv = map[string]bool{
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true,
}
