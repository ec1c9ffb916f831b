package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portico/portico/internal/lambdaenv"
)

// ServerlessOptions are the choices `portico import` leaves to its flags
// when it reads a serverless.yml.
type ServerlessOptions struct {
	// Stage is --stage: the value of ${opt:stage} and ${sls:stage}. Empty:
	// ${opt:stage} has no value (its fallback applies) and the stage is
	// provider.stage, else "dev", as the Framework's.
	Stage string
	// Lookup gives ${env:NAME} its value. Nil: the process environment.
	Lookup func(name string) (string, bool)
	// Flavour is the API the routes are served as, in Portico's names:
	// "http" serves the httpApi events (an HTTP API), "rest" the http
	// events (a REST API, under /{stage}). Empty: the one the file has, or
	// http when it has both. The other flavour's events become notes.
	Flavour string
}

func (o ServerlessOptions) lookup() func(string) (string, bool) {
	if o.Lookup != nil {
		return o.Lookup
	}
	return os.LookupEnv
}

// Serverless Framework defaults a function has when neither it nor the
// provider sets them (they differ from Lambda's own 3 s and 128 MB).
const (
	slsDefaultTimeout = 6 * time.Second
	slsDefaultMemory  = 1024
)

// ImportServerless turns a serverless.yml (Framework v3, provider aws) into
// a Portico config, with a note for each key it did not carry over. file
// names the serverless.yml: its folder is the service's package (code:
// paths are relative to it, so the config is meant to sit beside it) and
// where Go packages are looked for. It fails only on a file it cannot read
// as a service: YAML errors, a provider other than aws, a bad Flavour.
func ImportServerless(file string, data []byte, opts ServerlessOptions) (*App, []Note, error) {
	switch opts.Flavour {
	case "", "http", "rest":
	default:
		return nil, nil, fmt.Errorf("importer: flavour %q: want http or rest", opts.Flavour)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || deref(doc.Content[0]).Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: not a serverless.yml: want a mapping with service, provider and functions", file)
	}
	vr := newVarResolver(file, deref(doc.Content[0]), opts)
	vr.resolveAll()
	s := &slsImport{
		file:  file,
		dir:   filepath.Dir(file),
		opts:  opts,
		root:  vr.root,
		stage: vr.effectiveStage(),
		app:   &App{Functions: map[string]*Function{}},
		notes: vr.notes,
	}
	s.region = vr.effectiveRegion()
	if err := s.run(); err != nil {
		return nil, nil, err
	}
	return s.app, s.notes, nil
}

// slsImport is one import of a serverless.yml whose variables are resolved.
type slsImport struct {
	file, dir string
	opts      ServerlessOptions
	root      *yaml.Node
	app       *App
	notes     []Note

	service, stage, region string
	provider               *yaml.Node
	resources              *yaml.Node // resources.Resources, for queues named by Fn::GetAtt

	// What the provider gives every function.
	runtime  *yaml.Node
	timeout  *yaml.Node
	memory   *yaml.Node
	env      *yaml.Node
	artifact *yaml.Node // package.artifact

	httpPayload string // provider.httpApi.payload
	httpCORS    *yaml.Node
	httpAuth    *yaml.Node // provider.httpApi.authorizers
	binaryTypes *yaml.Node // provider.apiGateway.binaryMediaTypes

	functionNames map[string]bool
	// Routes of each flavour, kept apart until the flavour is chosen.
	rest, http flavourRoutes
	// Every REST path's methods with cors, for its preflight route.
	slsRESTCORS []slsRESTCORS
}

// flavourRoutes are the routes of one API flavour and the authorizers
// they use.
type flavourRoutes struct {
	routes      []pendingRoute
	authorizers map[string]*Authorizer
	payloads    map[string]string // functions.*.httpApi.payload
}

// pendingRoute is a route and where it came from, for the note that says
// it was left out.
type pendingRoute struct {
	Route
	node *yaml.Node
	key  string
}

func (s *slsImport) note(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	s.notes = append(s.notes, Note{File: s.file, Line: line, Key: key, Reason: fmt.Sprintf(format, args...)})
}

// scalarList is a scalar or a list of scalars as a list.
func scalarList(n *yaml.Node) ([]string, bool) {
	if v, ok := scalar(n); ok {
		return []string{v}, true
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		v, ok := scalar(deref(c))
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func (s *slsImport) run() error {
	for _, p := range pairs(s.root) {
		switch p.key {
		case "service":
			if v, ok := scalar(p.value); ok {
				s.service = v
			} else if name, ok := scalar(get(p.value, "name")); ok { // the older service: {name: …}
				s.service = name
			}
		case "provider":
			s.provider = p.value
		case "functions":
			// Read once the provider is known, below.
		case "resources":
			s.resources = get(p.value, "Resources")
			s.note(p.k, p.key, "CloudFormation resources are not created locally (needs AWS)")
		case "custom":
			s.note(p.k, p.key, "read for ${self:custom…} variables only; plugin settings are not carried over")
		case "plugins":
			s.note(p.k, p.key, "plugins do not run in Portico")
		case "package":
			if a := get(p.value, "artifact"); a != nil {
				s.artifact = a
			}
			s.notePackage(p.value, p.key)
		case "frameworkVersion", "configValidationMode", "deprecationNotificationMode", "variablesResolutionMode",
			"useDotenv", "disabledDeprecations", "unresolvedVariablesNotificationMode", "org", "app", "console",
			"dashboard", "projectDir", "params", "stages":
			s.note(p.k, p.key, "Serverless Framework setting: ignored locally")
		default:
			s.note(p.k, p.key, "not carried over: Portico has no equivalent")
		}
	}
	if err := s.readProvider(); err != nil {
		return err
	}
	s.readFunctions(get(s.root, "functions"))
	s.chooseFlavour()
	if len(s.app.Routes) == 0 && len(s.app.Schedules) == 0 && len(s.app.EventSources) == 0 && len(s.app.Functions) > 0 {
		s.app.InvokeAPI = &InvokeAPI{Listen: defaultInvokeAPIListen}
		s.note(s.root, "functions", "no event Portico serves: the functions are reachable through the Invoke API on %s (aws lambda invoke --endpoint-url http://%[1]s)", defaultInvokeAPIListen)
	}
	s.notes = uniqueNotes(s.notes)
	return nil
}

// isCFNTag reports a CloudFormation short-form tag (!Ref, !GetAtt, !Sub…).
func isCFNTag(tag string) bool { return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") }

// defaultInvokeAPIListen is where an import that has nothing else to
// invoke its functions serves the Invoke API (the README's address).
const defaultInvokeAPIListen = "127.0.0.1:3001"

// uniqueNotes drops repeats (a provider key every function inherits is
// noted once), keeping the first.
func uniqueNotes(notes []Note) []Note {
	seen := map[Note]bool{}
	out := notes[:0]
	for _, n := range notes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// notePackage notes the package keys other than artifact.
func (s *slsImport) notePackage(n *yaml.Node, path string) {
	for _, p := range pairs(n) {
		if p.key == "artifact" {
			continue
		}
		s.note(p.k, path+"."+p.key, "packaging setting: the package is the service folder as it is (patterns, include and exclude are not applied)")
	}
}

func (s *slsImport) readProvider() error {
	if s.provider == nil {
		return fmt.Errorf("%s: no provider: want provider: {name: aws, …}", s.file)
	}
	if name, _ := scalar(get(s.provider, "name")); name != "aws" {
		return fmt.Errorf("%s: provider.name %q: only aws services can be imported", s.file, name)
	}
	for _, p := range pairs(s.provider) {
		key := "provider." + p.key
		switch p.key {
		case "name", "stage", "region":
			// The stage and region variables already hold their values.
		case "runtime":
			s.runtime = p.value
		case "timeout":
			s.timeout = p.value
		case "memorySize":
			s.memory = p.value
		case "environment":
			s.env = p.value
		case "httpApi":
			s.readProviderHTTPAPI(p.value, key)
		case "apiGateway":
			s.readProviderAPIGateway(p.value, key)
		default:
			s.note(p.k, key, "%s", providerReason(p.key))
		}
	}
	return nil
}

// providerReason says why a provider (or function) key is not carried over.
func providerReason(key string) string {
	switch key {
	case "iam", "iamRoleStatements", "iamManagedPolicies", "role", "rolePermissionsBoundary", "cfnRole":
		return "IAM: not enforced locally; a function gets the AWS credentials its inheritEnv names"
	case "vpc":
		return "needs AWS: VPC networking is not reproduced locally"
	case "layers":
		return "layers are not installed locally (/opt stays empty): vendor them into the package"
	case "architecture":
		return "functions run on the local machine's architecture"
	case "tracing":
		return "X-Ray tracing: ignored locally (functions get a trace id, nothing is sent)"
	case "logs", "logRetentionInDays", "logDataProtectionPolicy":
		return "logging setting: local functions log to Portico's output"
	case "reservedConcurrency", "provisionedConcurrency":
		return "concurrency setting: not carried over (set concurrency or minInstances on the function)"
	case "destinations", "maximumRetryAttempts", "maximumEventAge", "onError":
		return "asynchronous invocation setting: not carried over (set the function's async:)"
	case "description", "tags", "stackTags", "stackName", "deploymentBucket", "deploymentMethod", "deploymentPrefix",
		"versionFunctions", "lambdaHashingVersion", "stackPolicy", "notificationArns", "kmsKeyArn", "profile",
		"disableRollback", "rollbackConfiguration", "runtimeManagement", "ecr", "s3", "alb", "eventBridge",
		"websocketsApiName", "websocketsApiRouteSelectionExpression", "websocket", "endpointType", "apiName",
		"usagePlan", "apiKeys", "resourcePolicy", "stackParameters", "ephemeralStorageSize", "snapStart",
		"url", "condition", "dependsOn", "disableLogs", "logRetention":
		return "deployment setting: ignored locally"
	case "package":
		return "packaging setting: the package is the service folder as it is"
	case "image":
		return "container images are not run locally"
	}
	return "not carried over: Portico has no equivalent"
}

func (s *slsImport) readProviderHTTPAPI(n *yaml.Node, path string) {
	for _, p := range pairs(n) {
		key := path + "." + p.key
		switch p.key {
		case "payload":
			s.httpPayload, _ = scalar(p.value)
		case "cors":
			s.httpCORS = p.value
		case "authorizers":
			s.httpAuth = p.value
		case "id":
			s.note(p.k, key, "an HTTP API created outside the service: its other routes are not known; this service's routes are served")
		case "name", "disableDefaultEndpoint", "metrics", "useProviderTags", "shouldStartNameWithService":
			s.note(p.k, key, "deployment setting: ignored locally")
		default:
			s.note(p.k, key, "not carried over: Portico has no equivalent")
		}
	}
}

func (s *slsImport) readProviderAPIGateway(n *yaml.Node, path string) {
	for _, p := range pairs(n) {
		key := path + "." + p.key
		switch p.key {
		case "binaryMediaTypes":
			s.binaryTypes = p.value
		case "apiKeys", "usagePlan":
			s.note(p.k, key, "API keys and usage plans are not imported: write apiKeys: and usagePlans: (see README, Auth)")
		case "restApiId", "restApiRootResourceId", "restApiResources", "websocketApiId":
			s.note(p.k, key, "an API created outside the service: only this service's routes are served")
		default:
			s.note(p.k, key, "API Gateway setting: not carried over")
		}
	}
}

func (s *slsImport) readFunctions(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		s.note(n, "functions", "not a mapping of functions (a functions file not read?): no functions imported")
		return
	}
	s.functionNames = map[string]bool{}
	for _, p := range pairs(n) {
		s.functionNames[p.key] = true
	}
	s.rest.authorizers = map[string]*Authorizer{}
	s.http.authorizers = map[string]*Authorizer{}
	for _, p := range pairs(n) {
		s.readFunction(p.key, p.k, p.value)
	}
}

func (s *slsImport) readFunction(name string, keyNode, n *yaml.Node) {
	path := "functions." + name
	if n.Kind != yaml.MappingNode {
		s.note(keyNode, path, "not a function definition: left out")
		return
	}
	fn := &Function{Backend: "process"}
	var handler, runtime, timeout, memory, env, events, artifact *yaml.Node
	runtime, timeout, memory, artifact = s.runtime, s.timeout, s.memory, s.artifact
	for _, p := range pairs(n) {
		key := path + "." + p.key
		switch p.key {
		case "handler":
			handler = p.value
		case "runtime":
			runtime = p.value
		case "timeout":
			timeout = p.value
		case "memorySize":
			memory = p.value
		case "environment":
			env = p.value
		case "events":
			events = p.value
		case "name":
			s.note(p.k, key, "the function's name on AWS; locally it is %s", name)
		case "package":
			if a := get(p.value, "artifact"); a != nil {
				artifact = a
			}
			s.notePackage(p.value, key)
		case "httpApi":
			if v, ok := scalar(get(p.value, "payload")); ok {
				s.http.payloadFor(name, v)
			}
		default:
			s.note(p.k, key, "%s", providerReason(p.key))
		}
	}
	if !s.setCode(name, path, fn, keyNode, handler, runtime, artifact) {
		s.setLambda(name, path, fn, n)
	}
	if fn.Backend == "process" {
		fn.Timeout = Duration(s.seconds(timeout, path+".timeout", slsDefaultTimeout))
		fn.Memory = s.megabytes(memory, path+".memorySize")
		fn.Env = s.environment(path, env)
	}
	s.app.Functions[name] = fn
	for i, ev := range seqItems(events) {
		s.readEvent(name, fmt.Sprintf("%s.events[%d]", path, i), ev)
	}
}

// seqItems is a sequence's items, dereferenced.
func seqItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

// setLambda makes fn invoke the deployed function on AWS Lambda: for what
// cannot run locally (another language's runtime, a container image).
func (s *slsImport) setLambda(name, path string, fn *Function, n *yaml.Node) {
	deployed := s.service + "-" + s.stage + "-" + name
	if v, ok := scalar(get(n, "name")); ok {
		deployed = v
	}
	*fn = Function{Backend: "lambda", FunctionName: deployed}
	s.note(n, path, "cannot run locally: invoked on AWS Lambda as %s (backend: lambda)", deployed)
}

// seconds reads a timeout in seconds; def when n is nil.
func (s *slsImport) seconds(n *yaml.Node, path string, def time.Duration) time.Duration {
	v, ok := scalar(n)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		s.note(n, path, "%q is not a number of seconds: the default %s is used", v, def)
		return def
	}
	d := time.Duration(f * float64(time.Second))
	if d > 900*time.Second {
		s.note(n, path, "%s is more than Lambda's 900s: 900s is used", d)
		d = 900 * time.Second
	}
	return d
}

func (s *slsImport) megabytes(n *yaml.Node, path string) int {
	v, ok := scalar(n)
	if !ok {
		return slsDefaultMemory
	}
	mb, err := strconv.Atoi(v)
	if err != nil || mb < 128 || mb > 10240 {
		s.note(n, path, "%q is not 128 to 10240 MB: the default %d is used", v, slsDefaultMemory)
		return slsDefaultMemory
	}
	return mb
}

// environment merges the provider's variables with the function's, the
// function's winning, as the Framework does.
func (s *slsImport) environment(path string, fnEnv *yaml.Node) map[string]string {
	env := map[string]string{}
	for _, src := range []struct {
		n    *yaml.Node
		path string
	}{{s.env, "provider.environment"}, {fnEnv, path + ".environment"}} {
		for _, p := range pairs(src.n) {
			key := src.path + "." + p.key
			v, ok := scalar(p.value)
			switch {
			case p.value.Kind == yaml.MappingNode || p.value.Kind == yaml.SequenceNode || isCFNTag(p.value.Tag):
				s.note(p.k, key, "a CloudFormation value (Ref, Fn::GetAtt…) needs AWS: left out")
			case !ok:
				delete(env, p.key) // null unsets a provider variable
			case lambdaenv.Reserved(p.key):
				s.note(p.k, key, "reserved by Lambda: Portico sets it itself")
			default:
				env[p.key] = v
			}
		}
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

// chooseFlavour picks the API flavour and moves its routes and
// authorizers into the app; the other flavour's events become notes.
func (s *slsImport) chooseFlavour() {
	flavour := s.opts.Flavour
	if flavour == "" {
		flavour = "http"
		if len(s.rest.routes) > 0 && len(s.http.routes) == 0 {
			flavour = "rest"
		}
	}
	use, other, otherFlag := &s.http, &s.rest, "rest"
	if flavour == "rest" {
		use, other, otherFlag = &s.rest, &s.http, "http"
		s.app.API = "rest"
		s.app.Stage = s.stage
		if types, ok := scalarList(s.binaryTypes); ok {
			s.app.BinaryMediaTypes = types
		}
		s.addRESTPreflights()
		if s.httpCORS != nil {
			s.note(s.httpCORS, "provider.httpApi.cors", "HTTP API CORS: served with --api http")
		}
	} else {
		if len(s.http.routes) > 0 {
			s.app.API = "http"
		}
		s.app.CORS = s.corsHTTP(s.httpCORS, use.routes)
		if s.binaryTypes != nil {
			s.note(s.binaryTypes, "provider.apiGateway.binaryMediaTypes", "REST API setting: served with --api rest")
		}
	}
	for _, r := range other.routes {
		s.note(r.node, r.key, "%s event: served with --api %s", map[string]string{"rest": "http", "http": "httpApi"}[otherFlag], otherFlag)
	}
	seen := map[string]string{}
	for _, r := range use.routes {
		if prev, dup := seen[r.Route.Route]; dup {
			s.note(r.node, r.key, "route %s is already %s's: left out", r.Route.Route, prev)
			continue
		}
		seen[r.Route.Route] = r.Function
		if r.Authorizer != "" {
			if a := use.authorizers[r.Authorizer]; a != nil {
				if s.app.Authorizers == nil {
					s.app.Authorizers = map[string]*Authorizer{}
				}
				s.app.Authorizers[r.Authorizer] = a
			} else if r.Authorizer == ClosedAuthorizer {
				r.Authorizer = s.app.closed()
			}
		}
		s.app.Routes = append(s.app.Routes, r.Route)
	}
}

// payloadFor records a function's own httpApi payload version.
func (f *flavourRoutes) payloadFor(fn, version string) {
	if f.payloads == nil {
		f.payloads = map[string]string{}
	}
	f.payloads[fn] = version
}
