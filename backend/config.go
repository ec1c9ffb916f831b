package backend

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The backend kinds a function may name.
const (
	KindBuiltin = "builtin"
	KindHTTP    = "http"
	KindProcess = "process"
	KindLambda  = "lambda"
)

// FunctionConfig is one entry of the config's `functions:` map. Which fields
// apply depends on Backend; Validate reports a field set for a backend that
// does not use it.
type FunctionConfig struct {
	// Backend is builtin, http, process or lambda.
	Backend string `yaml:"backend"`
	// Handler: builtin, the builtin's name (echo, mock); process, the
	// executable, a folder holding `bootstrap`, or a .zip package.
	Handler string `yaml:"handler"`
	// URL (http) is the Lambda Invoke API endpoint the event is POSTed to.
	URL string `yaml:"url"`
	// Timeout is the function's own limit (process) or the wait for the
	// endpoint (http). Zero: 3s for process (Lambda's default), the route's
	// integration timeout otherwise.
	Timeout time.Duration `yaml:"timeout"`
	// Memory (process) in MB: AWS_LAMBDA_FUNCTION_MEMORY_SIZE and a hard
	// limit where the OS allows. Zero: 128.
	Memory int `yaml:"memory"`
	// Concurrency is the most invocations in flight at once: for process,
	// the most instances (zero: 10; past it Lambda's throttle, a 500); for
	// builtin and http, checked by the gateway (zero: unlimited; past it
	// 429 Too Many Requests).
	Concurrency int `yaml:"concurrency"`
	// Env (process) is added to the function's environment.
	Env map[string]string `yaml:"env"`
	// InheritEnv (process) names variables copied from Portico's own
	// environment into the function's, e.g. the AWS credentials the
	// function should use; a name Portico does not have is left unset.
	// Default: none, so nothing of Portico's environment reaches a function
	// unless listed.
	InheritEnv []string `yaml:"inheritEnv"`
	// Response (builtin mock) is the result the mock returns, as if a
	// function had returned it.
	Response any `yaml:"response"`
	// Runtime (process): "go" builds Source with the local Go toolchain.
	Runtime string `yaml:"runtime"`
	// Source (process, runtime go) is the package folder to build.
	Source string `yaml:"source"`
	// IdleTimeout (process) stops an instance unused this long. Zero: 5m.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// MinInstances (process) are started at load and kept warm.
	MinInstances int `yaml:"minInstances"`
	// FunctionName (lambda) is the Lambda function's name or ARN. Default:
	// the function's key in `functions:`.
	FunctionName string `yaml:"functionName"`
	// Qualifier (lambda) is a version or alias; default $LATEST.
	Qualifier string `yaml:"qualifier"`
	// Region (lambda) overrides the region of the AWS configuration.
	Region string `yaml:"region"`
	// Endpoint (lambda) overrides the Lambda API endpoint, e.g. LocalStack's.
	Endpoint string `yaml:"endpoint"`
	// QueueTimeout (process) is how long a request waits for an instance
	// when all `concurrency` are busy before it is throttled. Zero: 100ms.
	QueueTimeout time.Duration `yaml:"queueTimeout"`
}

// FieldError is a problem with one field of a config; Path is relative to
// the struct that reported it ("timeout", "env.GREETING").
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Field is one optional field of a config and whether it is set, for
// UnusedFields.
type Field struct {
	Name string
	Set  bool
}

// UnusedFields reports, in order, each set field that used does not list:
// a field the config's kind (owner, e.g. "backend http") ignores, which is
// a mistake a user wants to hear about. Configs whose fields depend on a
// kind (functions, authorizers) share it.
func UnusedFields(owner string, used []string, fields []Field) []error {
	var errs []error
	for _, f := range fields {
		if f.Set && !slices.Contains(used, f.Name) {
			errs = append(errs, &FieldError{Path: f.Name, Msg: "not used by " + owner})
		}
	}
	return errs
}

// fieldsFor lists the fields each backend uses, besides backend itself.
var fieldsFor = map[string][]string{
	KindBuiltin: {"handler", "response", "concurrency"},
	KindHTTP:    {"url", "timeout", "concurrency"},
	KindProcess: {"handler", "timeout", "memory", "concurrency", "env", "inheritEnv", "runtime", "source", "idleTimeout", "minInstances", "queueTimeout"},
	KindLambda:  {"functionName", "qualifier", "region", "endpoint", "timeout", "concurrency"},
}

// Validate reports every problem of the config as *FieldError values.
func (c *FunctionConfig) Validate() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	used, ok := fieldsFor[c.Backend]
	switch {
	case c.Backend == "":
		add("backend", "required (builtin, http, process or lambda)")
		return errs
	case !ok:
		add("backend", "unknown backend %q (want builtin, http, process or lambda)", c.Backend)
		return errs
	}
	errs = append(errs, UnusedFields("backend "+c.Backend, used, []Field{
		{"handler", c.Handler != ""}, {"url", c.URL != ""}, {"timeout", c.Timeout != 0},
		{"memory", c.Memory != 0}, {"concurrency", c.Concurrency != 0}, {"env", c.Env != nil},
		{"inheritEnv", c.InheritEnv != nil}, {"response", c.Response != nil}, {"runtime", c.Runtime != ""}, {"source", c.Source != ""},
		{"idleTimeout", c.IdleTimeout != 0}, {"minInstances", c.MinInstances != 0}, {"queueTimeout", c.QueueTimeout != 0},
		{"functionName", c.FunctionName != ""}, {"qualifier", c.Qualifier != ""}, {"region", c.Region != ""}, {"endpoint", c.Endpoint != ""},
	})...)
	if c.Timeout < 0 {
		add("timeout", "must not be negative")
	}
	if c.Concurrency < 0 {
		add("concurrency", "must not be negative")
	}
	return append(errs, c.validateKind()...)
}

func (c *FunctionConfig) validateKind() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	switch c.Backend {
	case KindBuiltin:
		switch c.Handler {
		case "echo":
		case "mock":
			if c.Response == nil {
				add("response", "required for the mock builtin")
			}
		case "":
			add("handler", "required (echo or mock)")
		default:
			add("handler", "unknown builtin %q (want echo or mock)", c.Handler)
		}
	case KindHTTP:
		if c.URL == "" {
			add("url", "required for backend http")
		} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("url", "want an absolute http:// or https:// URL, got %q", c.URL)
		}
	case KindLambda:
		if c.Qualifier != "" && !lambdaQualifier.MatchString(c.Qualifier) {
			add("qualifier", "want a version or alias (letters, digits, $, _ and -), got %q", c.Qualifier)
		}
		if c.Endpoint != "" {
			if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add("endpoint", "want an absolute http:// or https:// URL, got %q", c.Endpoint)
			}
		}
	case KindProcess:
		switch {
		case c.Handler == "" && c.Runtime == "":
			add("handler", "required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)")
		case c.Handler != "" && (c.Runtime != "" || c.Source != ""):
			add("handler", "give either handler or runtime+source, not both")
		case c.Runtime != "" && c.Runtime != "go":
			add("runtime", "unknown runtime %q (want go)", c.Runtime)
		case c.Runtime == "go" && c.Source == "":
			add("source", "required with runtime go: the folder of the function's main package")
		case c.Source != "" && c.Runtime == "":
			add("runtime", "required with source (runtime: go)")
		}
		if c.Timeout > 900*time.Second {
			add("timeout", "at most 900s (Lambda's limit)")
		}
		if c.Memory != 0 && (c.Memory < 128 || c.Memory > 10240) {
			add("memory", "want 128 to 10240 MB, got %d", c.Memory)
		}
		if c.MinInstances < 0 {
			add("minInstances", "must not be negative")
		} else if limit := c.Concurrency; limit > 0 && c.MinInstances > limit {
			add("minInstances", "more than concurrency (%d)", limit)
		} else if limit == 0 && c.MinInstances > defaultProcessConcurrency {
			add("minInstances", "more than the default concurrency (%d)", defaultProcessConcurrency)
		}
		if c.IdleTimeout < 0 {
			add("idleTimeout", "must not be negative")
		}
		if c.QueueTimeout < 0 {
			add("queueTimeout", "must not be negative")
		}
		size := 0
		names := make([]string, 0, len(c.Env))
		for k := range c.Env {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			size += len(k) + len(c.Env[k])
			if reservedEnv[k] || strings.HasPrefix(k, "AWS_LAMBDA_") {
				add("env."+k, "reserved by Lambda: it cannot be set")
			}
		}
		if size > 4096 {
			add("env", "%d bytes: Lambda allows at most 4 KB of environment variables", size)
		}
		inEnv := func(k string) bool { _, ok := c.Env[k]; return ok }
		for i, k := range c.InheritEnv {
			path := fmt.Sprintf("inheritEnv[%d]", i)
			switch {
			case !envName.MatchString(k):
				add(path, "want a variable name (letters, digits and _, not starting with a digit), got %q", k)
			case (reservedEnv[k] && !credentialEnv[k]) || strings.HasPrefix(k, "AWS_LAMBDA_"):
				add(path, "%s is reserved by Lambda: it cannot be inherited", k)
			case slices.Contains(c.InheritEnv[:i], k):
				add(path, "%s is listed twice", k)
			case inEnv(k):
				add(path, "%s is also set in env: give one", k)
			}
		}
	}
	return errs
}

// lambdaQualifier is the Invoke API's Qualifier pattern.
var lambdaQualifier = regexp.MustCompile(`^[a-zA-Z0-9$_-]{1,128}$`)

// defaultProcessConcurrency mirrors process.DefaultConcurrency (backend
// may not import its subpackages).
const defaultProcessConcurrency = 10

// envName is a portable environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// credentialEnv are the reserved variables a function may inherit from
// Portico: on Lambda they hold the execution role's credentials.
var credentialEnv = map[string]bool{
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true,
}

// reservedEnv are the variables Lambda sets and functions cannot override.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}
