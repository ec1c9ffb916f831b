package process

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/internal/lambdaenv"
)

// Config is the block of a function with `backend: process`.
type Config struct {
	// Runtime is Lambda's runtime name: "go" builds Code (or Source) with
	// the local Go toolchain; "provided.al2023", "provided.al2" run the
	// code's own bootstrap; "nodejs20.x", "python3.12" and the other
	// nodejs*/python3.* names run Handler from Code with the local
	// interpreter and Portico's runtime client. Empty: Handler is an
	// executable.
	Runtime string `yaml:"runtime"`
	// Code is the function's package, a folder or a .zip (unpacked once
	// into the cache), relative to the config file's folder; for runtime
	// go, the folder of its main package.
	Code string `yaml:"code"  config:"path"`
	// Handler, with Code, is Lambda's handler setting: FILE.EXPORT for
	// Node.js (index.handler, src/app.handler), MODULE.FUNCTION for Python
	// (app.lambda_handler), free-form for provided.* (_HANDLER). Without
	// Code it is the executable, a folder holding `bootstrap`, or a .zip
	// package, relative to the config file's folder.
	Handler string `yaml:"handler"`
	// Source (runtime go) is the folder of the function's main package,
	// relative to the config file's folder: the older spelling of Code.
	Source string `yaml:"source" config:"path"`
	// Interpreter (nodejs*, python3.*) is the interpreter's command or
	// path. Default: node, or python3, found on PATH. One of another
	// version than the runtime names runs, with a warning at start.
	Interpreter string `yaml:"interpreter"`
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

// validateCode checks that the config names the function's code one way,
// as its runtime takes it. A source without a runtime is a missing
// handler: the first case.
func (c *Config) validateCode(p *fielderr.List) {
	if c.Runtime == "" {
		switch {
		case c.Handler == "":
			p.Add("handler", "required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)")
		case c.Source != "":
			p.Add("handler", "give either handler or runtime+source, not both")
		case c.Code != "":
			p.Add("runtime", "required with code: one of %s", strings.Join(knownRuntimes, ", "))
		case c.Interpreter != "":
			p.Add("interpreter", "only for the nodejs* and python3.* runtimes")
		}
		return
	}
	rt, ok := parseRuntime(c.Runtime)
	if !ok {
		p.Add("runtime", "unknown runtime %q (want one of %s)", c.Runtime, strings.Join(knownRuntimes, ", "))
		return
	}
	if rt.kind != kindLanguage && c.Interpreter != "" {
		p.Add("interpreter", "only for the nodejs* and python3.* runtimes, not %s", rt.name)
	}
	if rt.kind != kindGo && c.Source != "" {
		p.Add("source", "only for runtime go: give the package as code")
	}
	switch rt.kind {
	case kindGo:
		switch {
		case c.Handler != "":
			p.Add("handler", "give either handler or runtime+source, not both")
		case c.Code != "" && c.Source != "":
			p.Add("source", "give either code or source, not both")
		case c.Code == "" && c.Source == "":
			p.Add("source", "required with runtime go: the folder of the function's main package")
		}
	case kindCustom:
		if c.Code == "" && c.Handler == "" {
			p.Add("code", "required with runtime %s: a folder or .zip holding an executable bootstrap", rt.name)
		}
	case kindLanguage:
		if c.Code == "" {
			p.Add("code", "required with runtime %s: the package, a folder or a .zip", rt.name)
		}
		switch {
		case c.Handler == "":
			p.Add("handler", "required with runtime %s: %s", rt.name, rt.lang.handlerHint)
		case !rt.lang.handlerForm.MatchString(c.Handler):
			p.Add("handler", "want %s, got %q", rt.lang.handlerHint, c.Handler)
		}
	}
}

// ResolvePaths makes Handler absolute against dir when it is a path: when
// there is no Code (and the runtime is not one whose handler is always a
// name). The config decoder calls it; see Handler.
func (c *Config) ResolvePaths(dir string) {
	rt, _ := parseRuntime(c.Runtime)
	if c.Code == "" && rt.kind != kindLanguage && c.Handler != "" && dir != "" && !filepath.IsAbs(c.Handler) {
		c.Handler = filepath.Join(dir, c.Handler)
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
		if lambdaenv.Reserved(k) {
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
		case lambdaenv.Reserved(k) && !credentialEnv[k]:
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

// credentialEnv are the reserved variables a function may inherit from
// Portico: on Lambda they hold the execution role's credentials.
var credentialEnv = map[string]bool{
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true,
}

// Describe tells the Invoke API what Lambda's GetFunction would: the
// runtime (`provided` for an executable without one), handler, limits and
// the config's variables, with the defaults the function runs with.
func (c *Config) Describe() backend.Description {
	d := backend.Description{
		Runtime:     c.Runtime,
		Handler:     c.Handler,
		Timeout:     orDefault(c.Timeout, DefaultTimeout),
		MemoryMB:    orDefault(c.Memory, DefaultMemoryMB),
		Environment: c.Env,
	}
	if d.Runtime == "" {
		d.Runtime = "provided"
	}
	return d
}
