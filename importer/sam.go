package importer

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico/portico/internal/lambdaenv"
)

// Resource types the SAM importer reads.
const (
	typeSAMFunction    = "AWS::Serverless::Function"
	typeSAMApi         = "AWS::Serverless::Api"
	typeSAMHttpApi     = "AWS::Serverless::HttpApi"
	typeLambdaFunction = "AWS::Lambda::Function"
)

// The implicit APIs SAM creates for events that name no API, and the
// stage of the implicit REST API (SAM's "Prod"; its HTTP API's is
// $default).
const (
	implicitRestAPI   = "ServerlessRestApi"
	implicitHTTPAPI   = "ServerlessHttpApi"
	implicitRestStage = "Prod"
)

// The API flavours, as the config's api: names them.
const (
	flavourHTTP = "http"
	flavourREST = "rest"
)

// SAMOption changes how ImportSAM imports.
type SAMOption func(*samOptions)

type samOptions struct{ flavour string }

// SAMFlavour chooses the API flavour to import when a template has both
// REST (Api) and HTTP (HttpApi) events: "rest" or "http". Empty (the
// default) imports the only one present, or HTTP when both are; the other
// flavour's routes are listed in the notes.
func SAMFlavour(f string) SAMOption { return func(o *samOptions) { o.flavour = f } }

// samImport is the state of one ImportSAM call.
type samImport struct {
	file  string
	dir   string
	root  *yaml.Node
	ev    *evaluator
	notes *noteList
	app   *App

	globals   *yaml.Node // Globals
	resources []pair     // Resources in template order, their conditions true
	routes    []importedRoute
	apis      map[string]*apiDef
	// fnByARN maps the ARN GetAtt gives a function back to its name.
	fnByARN map[string]string
}

// importedRoute is a route found in the template, before the flavour to
// serve is chosen.
type importedRoute struct {
	Route
	api, flavour string
	line         int
	key          string
	authSet      bool  // the event named its authorizer (or NONE)
	none         bool  // the event's authorizer is NONE: open by choice
	apiKey       *bool // the event's Auth.ApiKeyRequired, nil for the API's
}

// apiDef is one API of the template, implicit or declared.
type apiDef struct {
	id, flavour string
	props       *yaml.Node // evaluated, Globals merged; nil for an implicit API without Globals
	path        string
	line        int
	// cors is a REST API's Cors; preflightAuth says whether its OPTIONS
	// methods take the default authorizer.
	cors          *restCORS
	preflightAuth bool
	apiKey        bool // Auth.ApiKeyRequired: routes require an API key
}

// ImportSAM imports a SAM or CloudFormation template (YAML or JSON) as a
// Portico config. file names the template in notes and locates its
// relative paths (CodeUri, DefinitionUri): the config's paths stay
// relative, to be read from the template's folder. params are
// --parameter-overrides (Name=value, pseudo parameters such as AWS::Region
// too). The error is for a file that is not a template; anything of a
// template that does not carry over is a note, in file order. Asking
// (SAMFlavour) for an API flavour the template has none of is an error.
func ImportSAM(file string, data []byte, params map[string]string, opts ...SAMOption) (*App, []Note, error) {
	var o samOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.flavour != "" && o.flavour != flavourHTTP && o.flavour != flavourREST {
		return nil, nil, fmt.Errorf("%s: API flavour %q: want http or rest", file, o.flavour)
	}
	root, err := parseTemplate(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if get(root, "Resources") == nil {
		return nil, nil, fmt.Errorf("%s: not a template: no Resources", file)
	}
	s := &samImport{
		file: file, dir: filepath.Dir(file), root: root,
		notes:   &noteList{file: file},
		app:     &App{Functions: map[string]*Function{}},
		apis:    map[string]*apiDef{},
		fnByARN: map[string]string{},
	}
	s.ev = &evaluator{
		params:     map[string]*yaml.Node{},
		conditions: get(root, "Conditions"), condValues: map[string]bool{}, condBusy: map[string]bool{},
		mappings: get(root, "Mappings"), resources: map[string]*resource{}, notes: s.notes,
	}
	s.readTop()
	s.readParameters(params)
	s.readResources()
	for _, r := range s.resources {
		s.importResource(r)
	}
	if err := s.chooseAPI(o.flavour); err != nil {
		return nil, nil, err
	}
	return s.app, s.notes.sorted(), nil
}

// readTop notes the top-level sections that do not carry over. Description,
// Metadata and Outputs describe the stack and change nothing it runs.
func (s *samImport) readTop() {
	for _, p := range pairs(s.root) {
		switch p.key {
		case "AWSTemplateFormatVersion", "Description", "Metadata", "Outputs",
			"Parameters", "Mappings", "Conditions", "Resources":
		case "Globals":
			s.globals = p.value
		case "Transform":
			s.readTransform(p)
		default:
			s.notes.add(p.line, p.key, "unsupported: not carried over")
		}
	}
}

func (s *samImport) readTransform(p pair) {
	names := []*yaml.Node{p.value}
	if p.value.Kind == yaml.SequenceNode {
		names = p.value.Content
	}
	for _, n := range names {
		v, _ := scalar(n)
		if v != "AWS::Serverless-2016-10-31" && v != "AWS::LanguageExtensions" {
			s.notes.add(n.Line, "Transform", fmt.Sprintf("unsupported: the %s transform is not applied", v))
		}
	}
}

// readParameters resolves every parameter: an override, else its Default.
// List types become lists, as Ref gives them.
func (s *samImport) readParameters(overrides map[string]string) {
	declared := map[string]bool{}
	for _, p := range pairs(get(s.root, "Parameters")) {
		declared[p.key] = true
		typ, _ := scalar(get(p.value, "Type"))
		v, ok := overrides[p.key]
		if !ok {
			def := get(p.value, "Default")
			if def == nil {
				s.notes.add(p.line, "Parameters."+p.key, "has no Default and no override (--parameter-overrides): its value is empty")
			}
			if def != nil && def.Kind == yaml.SequenceNode {
				s.ev.params[p.key] = def
				continue
			}
			v, _ = scalar(def)
		}
		at := &yaml.Node{Line: p.line}
		if allowed := get(p.value, "AllowedValues"); allowed != nil && !slices.ContainsFunc(allowed.Content, func(n *yaml.Node) bool { return n.Value == v }) {
			s.notes.add(p.line, "Parameters."+p.key, fmt.Sprintf("%q is not one of its AllowedValues (CloudFormation would refuse it): used as given", v))
		}
		if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value") {
			s.notes.add(p.line, "Parameters."+p.key, fmt.Sprintf("needs AWS: the value is the SSM parameter %q's, read on deploy; the name stands in", v))
		}
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			items := strings.Split(v, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
			}
			s.ev.params[p.key] = strList(at, items)
			continue
		}
		s.ev.params[p.key] = scalarAt(at, v)
	}
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		if _, pseudo := pseudoDefaults[k]; pseudo {
			s.ev.params[k] = scalarAt(&yaml.Node{}, overrides[k])
		} else if !declared[k] {
			s.notes.add(0, "Parameters."+k, "override of a parameter the template does not declare: ignored")
		}
	}
}

// readResources lists the resources whose Condition holds, for Ref and
// GetAtt, and notes those left out.
func (s *samImport) readResources() {
	all := pairs(get(s.root, "Resources"))
	for _, r := range all {
		typ, _ := scalar(get(r.value, "Type"))
		s.ev.resources[r.key] = &resource{typ: typ, props: get(r.value, "Properties")}
	}
	for _, r := range all {
		path := "Resources." + r.key
		if cond, ok := scalar(get(r.value, "Condition")); ok {
			v, err := s.ev.condition(cond, path+".Condition")
			if err != nil {
				s.notes.addErr(r.line, path, err)
				continue
			}
			if !v {
				s.notes.add(r.line, path, fmt.Sprintf("not created: its condition %s is false", cond))
				delete(s.ev.resources, r.key)
				continue
			}
		}
		s.resources = append(s.resources, r)
		typ, _ := scalar(get(r.value, "Type"))
		if typ == typeSAMFunction || typ == typeLambdaFunction {
			s.fnByARN[lambdaARN(s.ev.pseudo("AWS::Region"), s.ev.pseudo("AWS::AccountId"), r.key)] = r.key
		}
	}
}

// importResource imports one resource, or notes why it does not.
func (s *samImport) importResource(r pair) {
	typ, _ := scalar(get(r.value, "Type"))
	path := "Resources." + r.key
	switch {
	case strings.HasPrefix(r.key, "Fn::ForEach"):
		s.notes.add(r.line, path, "unsupported: Fn::ForEach (AWS::LanguageExtensions) is not expanded")
		return
	case typ == "":
		s.notes.add(r.line, path, "not imported: a resource without Type")
		return
	}
	switch typ {
	case typeSAMFunction:
		s.importFunction(r.key, r.value, true)
	case typeLambdaFunction:
		s.importFunction(r.key, r.value, false)
	case typeSAMApi, typeSAMHttpApi:
		s.declareAPI(r.key, r.value, typ)
	case "AWS::ApiGatewayV2::Api":
		s.importV2API(r.key, r.value)
	case "AWS::ApiGatewayV2::Route":
		s.importV2Route(r.key, r.value)
	case "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Authorizer":
		// read through the routes and APIs that use them
	case "AWS::ApiGatewayV2::Deployment", "AWS::ApiGateway::Deployment":
		s.notes.add(r.line, path, "ignored locally: the config is served as it is, without deployments")
	case "AWS::Lambda::Permission":
		s.notes.add(r.line, path, "ignored locally: API Gateway may always invoke local functions")
	case "AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion":
		s.notes.add(r.line, path, "unsupported: layers are not mounted locally")
	default:
		s.notes.add(r.line, path, fmt.Sprintf("needs AWS: %s is not created locally", typ))
	}
}

// functionProps is a function's Properties, with Globals.Function merged
// in for a SAM function.
func (s *samImport) functionProps(def *yaml.Node, sam bool) *yaml.Node {
	props := get(def, "Properties")
	if !sam {
		return props
	}
	return mergeGlobals(get(s.globals, "Function"), props)
}

// mergeGlobals is SAM's Globals rule: maps merge key by key, lists
// concatenate, any other local value replaces the global one.
func mergeGlobals(global, local *yaml.Node) *yaml.Node {
	switch {
	case global == nil:
		return local
	case local == nil:
		return global
	case intrinsicName(global) != "" || intrinsicName(local) != "":
		return local
	case global.Kind == yaml.MappingNode && local.Kind == yaml.MappingNode:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: local.Line, Column: local.Column}
		for _, p := range pairs(global) {
			if get(local, p.key) == nil {
				out.Content = append(out.Content, scalarAt(&yaml.Node{Line: p.line}, p.key), p.value)
			}
		}
		for _, p := range pairs(local) {
			out.Content = append(out.Content, scalarAt(&yaml.Node{Line: p.line}, p.key), mergeGlobals(get(global, p.key), p.value))
		}
		return out
	case global.Kind == yaml.SequenceNode && local.Kind == yaml.SequenceNode:
		out := *local
		out.Content = append(slices.Clone(global.Content), local.Content...)
		return &out
	}
	return local
}

// importFunction imports a function and its events.
func (s *samImport) importFunction(id string, def *yaml.Node, sam bool) {
	base := "Resources." + id + ".Properties"
	props := s.functionProps(def, sam)
	fn := &Function{Backend: "process"}
	var (
		code, runtime, handler, name, packageType string
		codeLine                                  int
		remoteWhy                                 string
		events                                    *yaml.Node
	)
	for _, p := range pairs(props) {
		path := base + "." + p.key
		if p.key == "Events" {
			events = p.value
			continue
		}
		if reason, ok := functionKeyReasons[p.key]; ok {
			s.notes.add(p.line, path, reason)
			continue
		}
		v, err := s.ev.eval(p.value, path)
		if err != nil {
			s.notes.addErr(p.line, path, err)
			continue
		}
		str, isStr := scalar(v)
		switch p.key {
		case "CodeUri", "Code":
			codeLine = p.line
			switch {
			case isStr:
				code = str
			case get(v, "ZipFile") != nil || get(v, "ImageUri") != nil:
				remoteWhy = "its code is inline in the template"
			default:
				remoteWhy = "its code is in S3"
			}
			if get(v, "ImageUri") != nil {
				remoteWhy = "it is a container image"
			}
		case "InlineCode":
			remoteWhy = "its code is inline in the template"
		case "ImageUri":
			remoteWhy = "it is a container image"
		case "PackageType":
			packageType = str
		case "Handler":
			handler = str
		case "Runtime":
			runtime = str
		case "FunctionName":
			name = str
		case "Timeout":
			if n, err := strconv.ParseFloat(str, 64); err == nil && n > 0 {
				fn.Timeout = Duration(n * 1e9)
			} else {
				s.notes.add(p.line, path, fmt.Sprintf("not imported: want seconds, got %q", str))
			}
		case "MemorySize":
			if n, err := strconv.Atoi(str); err == nil && n >= 128 && n <= 10240 {
				fn.Memory = n
			} else {
				s.notes.add(p.line, path, fmt.Sprintf("not imported: want 128 to 10240 MB, got %q", str))
			}
		case "ReservedConcurrentExecutions":
			if n, err := strconv.Atoi(str); err == nil && n > 0 {
				fn.Concurrency = n
			} else {
				s.notes.add(p.line, path, "not imported: Portico cannot disable a function (concurrency 0)")
			}
		case "Environment":
			fn.Env = s.environment(v, path)
		case "Description", "ImageConfig", "Metadata":
			if p.key == "ImageConfig" {
				s.notes.add(p.line, path, "ignored: the function is a container image, run on AWS")
			}
		default:
			s.notes.add(p.line, path, "unsupported: not carried over")
		}
	}
	if packageType == "Image" {
		remoteWhy = "it is a container image"
	}
	line := s.line(def)
	if codeLine == 0 {
		codeLine = line
	}
	if remoteWhy == "" {
		remoteWhy = s.localRuntime(fn, get(def, "Metadata"), code, runtime, handler, base, codeLine)
	}
	if remoteWhy != "" {
		fn = &Function{Backend: "lambda", FunctionName: cmpOr(name, id), Timeout: fn.Timeout}
		s.notes.add(line, "Resources."+id, fmt.Sprintf("runs on AWS Lambda as %s (backend: lambda): %s", fn.FunctionName, remoteWhy))
	} else if name != "" && name != id {
		s.notes.add(line, base+".FunctionName", fmt.Sprintf("runs locally as function %s; %s is its name on AWS", id, name))
	}
	s.app.Functions[id] = fn
	s.importEvents(id, events, base+".Events")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// line is the line of n, 0 for nil.
func (s *samImport) line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// localRuntime fills in how fn runs locally, or says why it cannot.
func (s *samImport) localRuntime(fn *Function, meta *yaml.Node, code, runtime, handler, base string, line int) string {
	buildMethod, _ := scalar(get(get(meta, "Properties"), "BuildMethod"))
	if buildMethod == "" {
		buildMethod, _ = scalar(get(meta, "BuildMethod"))
	}
	local := runtime
	switch {
	case runtime == "":
		return "it names no Runtime"
	case runtime == "go1.x" || buildMethod == "go1.x" && strings.HasPrefix(runtime, "provided"):
		// Portico builds the CodeUri folder itself, as `sam build` does.
		local = "go"
		if handler != "" {
			s.notes.add(line, base+".Handler", "ignored: Portico builds the code folder with the local Go toolchain (runtime: go) and runs the result")
		}
		handler = ""
	case strings.HasPrefix(runtime, "provided"):
		if buildMethod != "" {
			s.notes.add(line, base+".Metadata", fmt.Sprintf("the %s build of `sam build` is not run: the code must hold an executable bootstrap", buildMethod))
		}
	default:
		var ok bool
		if local, ok = localLanguageRuntime(runtime); !ok {
			return fmt.Sprintf("runtime %s cannot run locally", runtime)
		}
		if local != runtime {
			s.notes.add(line, base+".Runtime", fmt.Sprintf("%s runs as %s, the oldest of its language Portico runs (on the local interpreter)", runtime, local))
		}
	}
	fn.Runtime, fn.Handler = local, handler
	if code == "" {
		// As `sam local` does: a function without CodeUri is the
		// template's folder.
		code = "."
		s.notes.add(line, base, "has no CodeUri: its code is the template's folder, as `sam local` takes it")
	}
	fn.Code = code
	switch st, err := os.Stat(filepath.Join(s.dir, code)); {
	case err != nil:
		s.notes.add(line, base+".CodeUri", fmt.Sprintf("%s is not on disk (build it, e.g. `sam build`, or fix the path): the function will fail to start", code))
	case !st.IsDir() && !strings.EqualFold(filepath.Ext(code), ".zip"):
		// Lambda packages a single file as a zip holding it: its
		// folder holds it the same way, with its neighbours.
		fn.Code = filepath.ToSlash(filepath.Dir(code))
		s.notes.add(line, base+".CodeUri", fmt.Sprintf("%s is a file: the code is its folder %s", code, fn.Code))
	}
	return ""
}

// localLanguageRuntime maps a Node.js or Python 3 runtime name to one
// Portico runs: itself, or for a retired version (nodejs12.x, nodejs8.10,
// python3.7) the oldest of its language Portico knows, since the local
// interpreter runs either way.
func localLanguageRuntime(rt string) (string, bool) {
	switch {
	case strings.HasPrefix(rt, "nodejs"):
		major, _, _ := strings.Cut(strings.TrimPrefix(rt, "nodejs"), ".")
		n, err := strconv.Atoi(major)
		if err != nil {
			return "", false
		}
		if n < 18 {
			return "nodejs18.x", true
		}
		return rt, true
	case strings.HasPrefix(rt, "python3."):
		n, err := strconv.Atoi(strings.TrimPrefix(rt, "python3."))
		if err != nil {
			return "", false
		}
		if n < 9 {
			return "python3.9", true
		}
		return rt, true
	}
	return "", false
}

// environment is Environment.Variables as env.
func (s *samImport) environment(v *yaml.Node, path string) map[string]string {
	env := map[string]string{}
	for _, p := range pairs(v) {
		if p.key != "Variables" {
			s.notes.add(p.line, path+"."+p.key, "unsupported: not carried over")
			continue
		}
		for _, kv := range pairs(p.value) {
			val, ok := scalar(kv.value)
			switch {
			case !ok && kv.value.Tag != "!!null":
				s.notes.add(kv.line, path+".Variables."+kv.key, "not imported: not a string")
			case lambdaenv.Reserved(kv.key):
				s.notes.add(kv.line, path+".Variables."+kv.key, "not imported: reserved by Lambda (Portico sets it)")
			default:
				env[kv.key] = val
			}
		}
	}
	if len(env) == 0 {
		return nil
	}
	return env
}
