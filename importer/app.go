package importer

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// App is the Portico config an import produces: the subset of the config's
// keys an AWS application maps to, spelled as the config spells them, so
// that Marshal's output is a config `portico validate` accepts.
type App struct {
	API              string                 `yaml:"api,omitempty"`   // http | rest
	Stage            string                 `yaml:"stage,omitempty"` // a REST stage, served under /{stage}
	BinaryMediaTypes []string               `yaml:"binaryMediaTypes,omitempty"`
	StageVariables   map[string]string      `yaml:"stageVariables,omitempty"`
	CORS             *CORS                  `yaml:"cors,omitempty"`
	Authorizers      map[string]*Authorizer `yaml:"authorizers,omitempty"`
	Functions        map[string]*Function   `yaml:"functions"`
	Routes           []Route                `yaml:"routes,omitempty"`
	Schedules        []Schedule             `yaml:"schedules,omitempty"`
	EventSources     []EventSource          `yaml:"eventSources,omitempty"`
	InvokeAPI        *InvokeAPI             `yaml:"invokeApi,omitempty"`
}

// InvokeAPI is the config's invokeApi: the Lambda Invoke API for every
// function.
type InvokeAPI struct {
	Listen string `yaml:"listen"`
}

// Function is a function of the config: a local process by default
// (runtime, code and handler as Lambda names them).
type Function struct {
	Backend string   `yaml:"backend"`
	Runtime string   `yaml:"runtime,omitempty"`
	Code    string   `yaml:"code,omitempty"`
	Handler string   `yaml:"handler,omitempty"`
	Timeout Duration `yaml:"timeout,omitempty"`
	Memory  int      `yaml:"memory,omitempty"`
	// Concurrency is the most instances at once (Lambda's reserved
	// concurrency).
	Concurrency int               `yaml:"concurrency,omitempty"`
	Env         map[string]string `yaml:"env,omitempty"`
	// Response is a builtin mock function's result.
	Response any `yaml:"response,omitempty"`
	// FunctionName is the name the function has on AWS, for the lambda
	// backend; unused locally.
	FunctionName string `yaml:"functionName,omitempty"`
}

// Route is one route of the config.
type Route struct {
	Route      string   `yaml:"route"`
	Function   string   `yaml:"function"`
	Payload    string   `yaml:"payload,omitempty"`
	Authorizer string   `yaml:"authorizer,omitempty"`
	Scopes     []string `yaml:"scopes,omitempty"`
	Timeout    Duration `yaml:"timeout,omitempty"` // lowers the integration timeout
}

// CORS is an HTTP API's CORS configuration.
type CORS struct {
	AllowOrigins     []string `yaml:"allowOrigins,omitempty"`
	AllowMethods     []string `yaml:"allowMethods,omitempty"`
	AllowHeaders     []string `yaml:"allowHeaders,omitempty"`
	ExposeHeaders    []string `yaml:"exposeHeaders,omitempty"`
	MaxAge           int      `yaml:"maxAge,omitempty"`
	AllowCredentials bool     `yaml:"allowCredentials,omitempty"`
}

// Authorizer is a JWT or Lambda REQUEST authorizer, or the closed one.
type Authorizer struct {
	Type            string   `yaml:"type"` // jwt | lambda | apikey | deny
	Issuer          string   `yaml:"issuer,omitempty"`
	Audience        []string `yaml:"audience,omitempty"`
	JWKSURI         string   `yaml:"jwksUri,omitempty"`
	Function        string   `yaml:"function,omitempty"`
	Payload         string   `yaml:"payload,omitempty"`
	SimpleResponses bool     `yaml:"simpleResponses,omitempty"`
	ResultTTL       Duration `yaml:"resultTtl,omitempty"`
	IdentitySource  []string `yaml:"identitySource,omitempty"`
}

// ClosedAuthorizer names the authorizer of the routes whose authorization
// cannot be checked locally (IAM, Cognito, OpenAPI security, an authorizer
// outside the application, one not imported, or a required API key). Such
// a route must not be served open: whoever serves an imported protected
// application would expose it to anyone. The name has a hyphen, which no
// CloudFormation logical ID has, so it cannot clash with an imported
// authorizer's (a serverless.yml authorizer function may be so named).
const ClosedAuthorizer = "aws-only"

// closed adds the closed authorizer to a (once) and returns its name. It
// is a deny authorizer: it answers 403 Forbidden to every request, API
// keys included, until the user gives the route an authorizer of their
// own.
func (a *App) closed() string {
	if a.Authorizers == nil {
		a.Authorizers = map[string]*Authorizer{}
	}
	if a.Authorizers[ClosedAuthorizer] == nil {
		a.Authorizers[ClosedAuthorizer] = &Authorizer{Type: "deny"}
	}
	return ClosedAuthorizer
}

// reasonClosed ends the note of a route closed by the closed authorizer.
const reasonClosed = "the route answers 403 (authorizer " + ClosedAuthorizer + ") until you configure an authorizer for it"

// Schedule is an entry of schedules:.
type Schedule struct {
	Name       string `yaml:"name"`
	Function   string `yaml:"function"`
	Expression string `yaml:"expression"`
	Input      any    `yaml:"input,omitempty"`
	Timezone   string `yaml:"timezone,omitempty"`
}

// EventSource is an entry of eventSources:.
type EventSource struct {
	Function              string   `yaml:"function"`
	Type                  string   `yaml:"type"`
	QueueURL              string   `yaml:"queueUrl,omitempty"`
	BatchSize             int      `yaml:"batchSize,omitempty"`
	MaximumBatchingWindow Duration `yaml:"maximumBatchingWindow,omitempty"`
	FunctionResponseTypes []string `yaml:"functionResponseTypes,omitempty"`
}

// Duration marshals as the config writes durations ("30s").
type Duration time.Duration

// IsZero lets omitempty leave a zero duration out.
func (d Duration) IsZero() bool { return d == 0 }

// MarshalYAML writes d as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Note is something of the source the import did not carry over.
type Note struct {
	File   string
	Line   int
	Key    string // the source's path to it, e.g. Resources.Fn.Properties.Layers
	Reason string // unsupported, ignored locally, needs AWS…
}

func (n Note) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", n.File, n.Line, n.Key, n.Reason)
}

// Marshal is app as config YAML, with a header naming where it came from.
func Marshal(app *App, source string) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Imported by `portico import` from %s.\n", source)
	var doc yaml.Node
	if err := doc.Encode(app); err != nil {
		return nil, err
	}
	escapeNode(&doc)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// preflightFunction is the builtin mock function that answers a CORS
// preflight with headers: the one made earlier for the same headers (made
// maps their key to it), or a new one named base, base2, base3… — as API
// Gateway answers a REST API's preflights with a MOCK integration.
func (a *App) preflightFunction(base string, headers map[string]string, made map[string]string) (name string, isNew bool) {
	key := fmt.Sprint(headers) // fmt sorts map keys
	if fn, ok := made[key]; ok {
		return fn, false
	}
	name = base
	for i := 2; a.Functions[name] != nil; i++ {
		name = base + strconv.Itoa(i)
	}
	made[key] = name
	a.Functions[name] = &Function{Backend: "builtin", Handler: "mock",
		Response: map[string]any{"statusCode": 200, "headers": headers, "body": ""}}
	return name, true
}
