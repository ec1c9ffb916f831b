package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// declareAPI records an AWS::Serverless::Api or HttpApi, Globals merged.
func (s *samImport) declareAPI(id string, def *yaml.Node, typ string) {
	a := &apiDef{id: id, flavour: flavourREST, path: "Resources." + id + ".Properties", line: def.Line}
	global := get(s.globals, "Api")
	if typ == typeSAMHttpApi {
		a.flavour, global = flavourHTTP, get(s.globals, "HttpApi")
	}
	a.props = mergeGlobals(global, get(def, "Properties"))
	s.apis[id] = a
}

// implicitAPI is SAM's implicit API of a flavour, its Globals applied.
func (s *samImport) implicitAPI(flavour string) *apiDef {
	id, global := implicitRestAPI, get(s.globals, "Api")
	if flavour == flavourHTTP {
		id, global = implicitHTTPAPI, get(s.globals, "HttpApi")
	}
	if a := s.apis[id]; a != nil {
		return a
	}
	a := &apiDef{id: id, flavour: flavour, props: global, path: "Globals." + map[string]string{flavourREST: "Api", flavourHTTP: "HttpApi"}[flavour], line: s.line(global)}
	s.apis[id] = a
	return a
}

// chooseAPI picks the flavour served, reads the APIs of that flavour
// (their settings, authorizers and OpenAPI bodies), and notes the other
// flavour's routes and APIs.
func (s *samImport) chooseAPI(want string) error {
	has := map[string]bool{}
	for _, r := range s.routes {
		has[r.flavour] = true
		if s.apis[r.api] == nil {
			if r.api == implicitRestAPI || r.api == implicitHTTPAPI {
				if a := s.implicitAPI(r.flavour); a.props == nil {
					// Without Globals, notes on the implicit API point at
					// the first event that made it.
					a.path, a.line = r.key, r.line
				}
			} else {
				s.apis[r.api] = &apiDef{id: r.api, flavour: r.flavour, path: r.key}
				s.notes.add(r.line, r.key, fmt.Sprintf("API %s is not a SAM API of this template: its routes are served with the others", r.api))
			}
		}
	}
	for _, a := range s.apis {
		has[a.flavour] = true
	}
	flavour := want
	if flavour == "" {
		flavour = flavourHTTP
		if has[flavourREST] && !has[flavourHTTP] {
			flavour = flavourREST
		}
	}
	if !has[flavourREST] && !has[flavourHTTP] {
		return nil // no API: functions, schedules and event sources only
	}
	if !has[flavour] {
		return fmt.Errorf("%s: the template has no %s API", s.file, strings.ToUpper(flavour))
	}
	s.app.API = flavour
	for _, g := range []struct{ key, flavour string }{{"Api", flavourREST}, {"HttpApi", flavourHTTP}} {
		if n := get(s.globals, g.key); n != nil && !s.hasAPIOfFlavour(g.flavour) {
			s.notes.add(n.Line, "Globals."+g.key, "ignored: the template has no API it applies to")
		}
	}
	ids := make([]string, 0, len(s.apis))
	for id, a := range s.apis {
		switch {
		case a.flavour == flavour:
			ids = append(ids, id)
		case (id == implicitRestAPI || id == implicitHTTPAPI) && a.props == nil:
			// its routes are noted one by one
		default:
			s.notes.add(a.line, a.path, fmt.Sprintf("a %s API: served with --api %s", strings.ToUpper(a.flavour), a.flavour))
		}
	}
	slices.Sort(ids)
	// Bodies first: their routes count in choosing the primary API.
	for _, id := range ids {
		s.readDefinition(s.apis[id])
	}
	count := map[string]int{}
	var routes []importedRoute
	for _, r := range s.routes {
		if r.flavour != flavour {
			s.notes.add(r.line, r.key, fmt.Sprintf("%s (a %s API route): served with --api %s", r.Route.Route, strings.ToUpper(r.flavour), r.flavour))
			continue
		}
		count[r.api]++
		routes = append(routes, r)
	}
	primary := ""
	for _, id := range ids {
		if primary == "" || count[id] > count[primary] {
			primary = id
		}
	}
	defaults := map[string]string{}
	for _, id := range ids {
		defaults[id] = s.readAPI(s.apis[id], id == primary)
		if id != primary && count[id] > 0 {
			a := s.apis[id]
			s.notes.add(a.line, a.path, fmt.Sprintf("Portico serves one API: %s's routes are served with %s's stage and settings", id, primary))
		}
	}
	// SAM merges an API's events into its OpenAPI body: a route both
	// give is one route, and a body's operation without an integration
	// is completed by the event of the same route. A body's operation
	// closed for its security closes the route, unless the event opens
	// it (NONE).
	first := map[string]importedRoute{}
	closed := map[string]bool{}
	for _, r := range routes {
		if _, ok := first[r.Route.Route]; !ok && r.Function != "" {
			first[r.Route.Route] = r
		}
		closed[r.Route.Route] = closed[r.Route.Route] || r.Authorizer == ClosedAuthorizer
	}
	seen := map[string]bool{}
	var kept []importedRoute
	for _, r := range routes {
		f, routed := first[r.Route.Route]
		switch {
		case r.Function == "" && !routed:
			s.notes.add(r.line, r.key, "not imported: no x-amazon-apigateway-integration")
			continue
		case r.Function == "" || seen[r.Route.Route] && f.Function == r.Function:
			continue
		case seen[r.Route.Route]:
			s.notes.add(r.line, r.key, fmt.Sprintf("not imported: %s is already routed to %s", r.Route.Route, f.Function))
			continue
		}
		seen[r.Route.Route] = true
		if !r.authSet && r.Authorizer == "" {
			r.Authorizer = defaults[r.api]
		}
		if r.Authorizer == "" && !r.none && closed[r.Route.Route] {
			r.Authorizer = ClosedAuthorizer
		}
		if a := s.apis[r.api]; r.apiKey != nil && *r.apiKey || r.apiKey == nil && a != nil && a.apiKey {
			if r.Authorizer == "" {
				s.notes.add(r.line, r.key, "an API key is required on AWS: "+reasonClosed+" (an apikey authorizer: add apiKeys:)")
				r.Authorizer = s.app.closed()
			} else {
				s.notes.add(r.line, r.key, "an API key is required on AWS: not checked locally, the route's authorizer alone guards it")
			}
		}
		if r.Authorizer != "" && s.app.Authorizers[r.Authorizer] == nil {
			s.notes.add(r.line, r.key, notImported(r.Authorizer))
			r.Authorizer = s.app.closed()
		}
		if flavour == flavourHTTP && r.Payload == "" {
			r.Payload = "2.0"
		}
		if r.Authorizer == "" || r.Authorizer == ClosedAuthorizer {
			r.Scopes = nil
		}
		s.app.Routes = append(s.app.Routes, r.Route)
		kept = append(kept, r)
	}
	if flavour == flavourREST {
		s.addPreflights(kept, seen, defaults)
	}
	return nil
}

// notImported is the note of a route whose authorizer was not imported.
func notImported(name string) string {
	if name == "AWS_IAM" {
		return "IAM authorization needs AWS: " + reasonClosed
	}
	return fmt.Sprintf("authorizer %s was not imported: %s", name, reasonClosed)
}

// readDefinition adds the routes of an API's DefinitionBody or
// DefinitionUri (a local file).
func (s *samImport) readDefinition(a *apiDef) {
	for _, p := range pairs(a.props) {
		path := a.path + "." + p.key
		var doc *yaml.Node
		file := s.file
		switch p.key {
		case "DefinitionBody":
			if intrinsicName(p.value) == "Fn::Transform" {
				s.notes.add(p.line, path, "unsupported: Fn::Transform (AWS::Include) is applied on AWS; give the file as DefinitionUri")
				continue
			}
			v, err := s.ev.eval(p.value, path)
			if err != nil {
				s.notes.addErr(p.line, path, err)
				continue
			}
			doc = v
		case "DefinitionUri":
			v, err := s.ev.eval(p.value, path)
			if err != nil {
				s.notes.addErr(p.line, path, err)
				continue
			}
			name, ok := scalar(v)
			if !ok {
				s.notes.add(p.line, path, "needs AWS: the definition is in S3")
				continue
			}
			file = filepath.Join(s.dir, name)
			data, err := os.ReadFile(file)
			if err != nil {
				s.notes.add(p.line, path, fmt.Sprintf("not imported: %v", err))
				continue
			}
			body, err := parseTemplate(data)
			if err != nil {
				s.notes.add(p.line, path, fmt.Sprintf("not imported: %v", err))
				continue
			}
			// sam local resolves the intrinsics of a DefinitionUri file
			// as of an inline body; a file that has none reads as written.
			doc = body
			if v, err := s.ev.eval(body, path); err == nil {
				doc = v
			}
		default:
			continue
		}
		sub := &noteList{file: file}
		openAPISettings(doc, a.flavour, s.app, sub, pathIn(file == s.file, path))
		routes := openAPIRoutes(doc, a.flavour, s.functionOfURI, s.app, sub, pathIn(file == s.file, path))
		for _, n := range sub.list {
			s.notes.addNote(n)
		}
		for _, r := range routes {
			s.routes = append(s.routes, importedRoute{Route: r.Route, api: a.id, flavour: a.flavour, line: r.line, key: r.key, authSet: true})
		}
	}
}

// pathIn is the note path prefix of a definition: the template's key
// when inline, none in a file of its own.
func pathIn(inline bool, path string) string {
	if inline {
		return path + "."
	}
	return ""
}

// functionOfURI is the function an integration URI invokes: a function
// ARN (or API Gateway's invocation ARN around one) of this template.
func (s *samImport) functionOfURI(uri string) (string, bool) {
	arn := functionARNOfURI(uri)
	fn, ok := s.fnByARN[arn]
	return fn, ok
}

// readAPI applies an API's settings: those of the primary API to the
// app, its authorizers for all. It returns its default authorizer.
func (s *samImport) readAPI(a *apiDef, primary bool) string {
	defaultAuth := ""
	if a.flavour == flavourREST && primary && s.app.Stage == "" {
		s.app.Stage = implicitRestStage
	}
	for _, p := range pairs(a.props) {
		path := a.path + "." + p.key
		if p.key == "DefinitionBody" || p.key == "DefinitionUri" || p.key == "Description" || p.key == "Name" ||
			p.key == "OpenApiVersion" || p.key == "FailOnWarnings" {
			continue
		}
		v, err := s.ev.eval(p.value, path)
		if err != nil {
			s.notes.addErr(p.line, path, err)
			continue
		}
		if p.key == "Auth" {
			defaultAuth = s.readAuth(a, v, path)
			a.preflightAuth = !scalarIs(get(v, "AddDefaultAuthorizerToCorsPreflight"), "false")
			continue
		}
		if p.key == "Cors" && a.flavour == flavourREST {
			a.cors = s.restCORS(v, path)
			continue
		}
		if !primary {
			continue
		}
		str, _ := scalar(v)
		switch {
		case p.key == "StageName":
			switch {
			case str != "" && str != "$default":
				s.app.Stage = str
			case a.flavour == flavourREST:
				s.notes.add(p.line, path, fmt.Sprintf("a REST API has no $default stage: served as %s", implicitRestStage))
			}
		case p.key == "Variables" && a.flavour == flavourREST, p.key == "StageVariables" && a.flavour == flavourHTTP:
			s.app.StageVariables = map[string]string{}
			for _, kv := range pairs(v) {
				val, _ := scalar(kv.value)
				s.app.StageVariables[kv.key] = val
			}
		case p.key == "BinaryMediaTypes" && a.flavour == flavourREST:
			// SAM writes "/" as "~1" (JSON Pointer's escape); the
			// property wins over the body's extension.
			s.app.BinaryMediaTypes = nil
			for _, t := range scalars(v) {
				s.app.BinaryMediaTypes = append(s.app.BinaryMediaTypes, strings.ReplaceAll(t, "~1", "/"))
			}
		case p.key == "CorsConfiguration" && a.flavour == flavourHTTP:
			s.app.CORS = s.httpCORS(v, path)
			checkCORS(s.app.CORS, s.notes, p.line, path)

		case p.key == "TracingEnabled":
			s.notes.add(p.line, path, reasonTrace)
		case p.key == "EndpointConfiguration", p.key == "Domain", p.key == "DisableExecuteApiEndpoint":
			s.notes.add(p.line, path, "ignored locally: Portico serves on its listen address")
		case p.key == "AccessLogSetting", p.key == "AccessLogSettings":
			s.notes.add(p.line, path, reasonLogs)
		case p.key == "Tags", p.key == "CacheClusterEnabled", p.key == "CacheClusterSize", p.key == "PropagateTags":
			s.notes.add(p.line, path, reasonDeploy)
		default:
			s.notes.add(p.line, path, "unsupported: not carried over")
		}
	}
	return defaultAuth
}

// httpCORS is an HTTP API's CorsConfiguration (true: any origin).
func (s *samImport) httpCORS(v *yaml.Node, path string) *CORS {
	if b, ok := scalar(v); ok {
		if b == "true" {
			return &CORS{AllowOrigins: []string{"*"}}
		}
		return nil
	}
	c := readCORS(v, true, func(kv pair) {
		s.notes.add(kv.line, path+"."+kv.key, "unsupported: not carried over")
	})
	return c
}

// readAuth imports an API's Auth: its JWT and Lambda authorizers, and
// returns DefaultAuthorizer. AWS_IAM and an authorizer not imported are
// returned as they are: the routes that take them are closed, each noted.
func (s *samImport) readAuth(a *apiDef, auth *yaml.Node, path string) string {
	def := ""
	for _, p := range pairs(auth) {
		kpath := path + "." + p.key
		switch p.key {
		case "DefaultAuthorizer":
			def, _ = scalar(p.value)
		case "Authorizers":
			for _, z := range pairs(p.value) {
				s.readAuthorizer(a, z, kpath+"."+z.key)
			}
		case "ApiKeyRequired":
			a.apiKey = scalarIs(p.value, "true")
		case "AddDefaultAuthorizerToCorsPreflight", "EnableFunctionDefaultPermissions":
		default:
			s.notes.add(p.line, kpath, "unsupported: not carried over")
		}
	}
	return def
}

// readAuthorizer imports one authorizer of an API's Auth.Authorizers.
func (s *samImport) readAuthorizer(a *apiDef, z pair, path string) {
	if s.app.Authorizers[z.key] != nil {
		s.notes.add(z.line, path, "not imported: an authorizer of this name is already imported from another API")
		return
	}
	au := &Authorizer{}
	identity := get(z.value, "Identity")
	switch {
	case get(z.value, "JwtConfiguration") != nil:
		au.Type = "jwt"
		jwt := get(z.value, "JwtConfiguration")
		au.Issuer, _ = scalar(get(jwt, "issuer"))
		for _, c := range contentOf(get(jwt, "audience")) {
			au.Audience = append(au.Audience, c.Value)
		}
		if src, ok := scalar(get(z.value, "IdentitySource")); ok {
			au.IdentitySource = []string{src}
		}
	case get(z.value, "FunctionArn") != nil:
		arn, _ := scalar(get(z.value, "FunctionArn"))
		fn, ok := s.fnByARN[arn]
		if !ok {
			s.notes.add(z.line, path, "not imported: FunctionArn is not a function of this template")
			return
		}
		au.Type, au.Function = "lambda", fn
		if a.flavour == flavourREST {
			if t, _ := scalar(get(z.value, "FunctionPayloadType")); t != "REQUEST" {
				s.notes.add(z.line, path, "unsupported: TOKEN authorizers (Portico runs REQUEST authorizers; set FunctionPayloadType: REQUEST)")
				return
			}
			au.IdentitySource = identitySources(identity, "method.request.header.", "method.request.querystring.", "stageVariables.", "context.")
		} else {
			au.Payload, _ = scalar(get(z.value, "AuthorizerPayloadFormatVersion"))
			au.SimpleResponses = scalarIs(get(z.value, "EnableSimpleResponses"), "true")
			au.IdentitySource = identitySources(identity, "$request.header.", "$request.querystring.", "$stageVariables.", "$context.")
		}
		ttl := 300 // SAM's default ReauthorizeEvery
		if v, ok := scalar(get(identity, "ReauthorizeEvery")); ok {
			ttl, _ = strconv.Atoi(v)
		}
		if len(au.IdentitySource) > 0 {
			au.ResultTTL = Duration(ttl) * 1e9
		}
	case get(z.value, "UserPoolArn") != nil:
		s.notes.add(z.line, path, "unsupported: Cognito authorizers; a jwt authorizer with the pool's issuer and client IDs as audience is the local counterpart")
		return
	default:
		s.notes.add(z.line, path, "unsupported: an authorizer of this kind")
		return
	}
	if !s.authorizerFits(au, z.line, path) {
		return
	}
	if s.app.Authorizers == nil {
		s.app.Authorizers = map[string]*Authorizer{}
	}
	s.app.Authorizers[z.key] = au
}

// authorizerFits checks what Portico requires of an authorizer that a
// template may leave out, noting why one cannot be imported, and drops
// simple responses from a 1.0 authorizer (which cannot give them).
func (s *samImport) authorizerFits(au *Authorizer, line int, path string) bool {
	switch au.Type {
	case "jwt":
		if !strings.HasPrefix(au.Issuer, "https://") && !strings.HasPrefix(au.Issuer, "http://") {
			s.notes.add(line, path, fmt.Sprintf("not imported: the issuer %q is not an http(s) URL", au.Issuer))
			return false
		}
		if len(au.Audience) == 0 {
			s.notes.add(line, path, "not imported: a JWT authorizer needs an audience")
			return false
		}
	case "lambda":
		if au.Payload == "1.0" && au.SimpleResponses {
			au.SimpleResponses = false
			s.notes.add(line, path, "EnableSimpleResponses not imported: only payload 2.0 authorizers give simple responses")
		}
	}
	return true
}

// identitySources reads a Lambda authorizer's Identity in the flavour's
// syntax (header, query string, stage variable and context prefixes).
func identitySources(identity *yaml.Node, header, query, stage, context string) []string {
	var out []string
	if h, ok := scalar(get(identity, "Header")); ok {
		out = append(out, header+h)
	}
	for _, k := range []struct{ key, prefix string }{{"Headers", header}, {"QueryStrings", query}, {"StageVariables", stage}, {"Context", context}} {
		for _, c := range contentOf(get(identity, k.key)) {
			out = append(out, k.prefix+c.Value)
		}
	}
	return out
}

func scalarIs(n *yaml.Node, want string) bool {
	v, ok := scalar(n)
	return ok && v == want
}

// hasAPIOfFlavour says whether the template declares or implies an API of
// the flavour.
func (s *samImport) hasAPIOfFlavour(flavour string) bool {
	for _, a := range s.apis {
		if a.flavour == flavour {
			return true
		}
	}
	return false
}

// checkCORS drops allowCredentials beside a wildcard origin ("*",
// "https://*"), which Portico refuses: any site could read responses
// made with the user's cookies.
func checkCORS(c *CORS, notes *noteList, line int, path string) {
	if c == nil || !c.AllowCredentials {
		return
	}
	for _, o := range c.AllowOrigins {
		if o == "*" || strings.HasSuffix(o, "://*") {
			c.AllowCredentials = false
			notes.add(line, path+".AllowCredentials", fmt.Sprintf("not imported: Portico refuses credentials with the origin %q (any site could read responses made with the user's cookies); list the origins", o))
			return
		}
	}
}

// restCORS is what SAM's Cors of a REST API says its generated OPTIONS
// methods answer. Its values are API Gateway header mappings, quoted
// ('*'); a string is the allowed origin alone.
type restCORS struct {
	origin, methods, headers, maxAge string
	credentials                      bool
	line                             int
	path                             string
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

func (s *samImport) restCORS(v *yaml.Node, path string) *restCORS {
	c := &restCORS{line: v.Line, path: path}
	if o, ok := scalar(v); ok {
		c.origin = unquote(o)
		return c
	}
	for _, kv := range pairs(v) {
		val, _ := scalar(kv.value)
		switch kv.key {
		case "AllowOrigin":
			c.origin = unquote(val)
		case "AllowMethods":
			c.methods = unquote(val)
		case "AllowHeaders":
			c.headers = unquote(val)
		case "MaxAge":
			c.maxAge = unquote(val)
		case "AllowCredentials":
			c.credentials = val == "true"
		default:
			s.notes.add(kv.line, path+"."+kv.key, "unsupported: not carried over")
		}
	}
	if c.origin == "" {
		s.notes.add(v.Line, path, "not imported: Cors needs AllowOrigin")
		return nil
	}
	return c
}

// allMethods are the methods ANY stands for, in the order SAM lists them.
var allMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// addPreflights does what SAM does for a REST API's Cors: every path
// gets an OPTIONS method answering the CORS headers (a MOCK integration
// on AWS, a builtin mock function here), unless it has its own. Its
// Allow-Methods default to the path's methods and OPTIONS; it takes the
// API's default authorizer (closed when not imported) unless
// AddDefaultAuthorizerToCorsPreflight is
// false, as SAM does.
func (s *samImport) addPreflights(routes []importedRoute, seen map[string]bool, defaults map[string]string) {
	type pathOf struct{ api, path string }
	methods := map[pathOf][]string{}
	var order []pathOf
	for _, r := range routes {
		m, p, ok := strings.Cut(r.Route.Route, " ")
		a := s.apis[r.api]
		if !ok || a == nil || a.cors == nil {
			continue
		}
		k := pathOf{r.api, p}
		if _, ok := methods[k]; !ok {
			order = append(order, k)
		}
		if m == "ANY" {
			methods[k] = append(methods[k], allMethods...)
		} else {
			methods[k] = append(methods[k], m, "OPTIONS")
		}
	}
	fns := map[string]string{} // response key → function
	made := map[*apiDef][]string{}
	defer func() {
		for a, names := range made {
			s.notes.add(a.cors.line, a.cors.path, fmt.Sprintf("the OPTIONS methods SAM adds for CORS are routes to %s: builtin mocks answering the CORS headers", strings.Join(names, ", ")))
		}
	}()
	for _, k := range order {
		a := s.apis[k.api]
		route := "OPTIONS " + k.path
		if seen[route] {
			continue
		}
		seen[route] = true
		allow := a.cors.methods
		if allow == "" {
			ms := methods[k]
			slices.Sort(ms)
			allow = strings.Join(slices.Compact(ms), ",")
		}
		headers := map[string]string{"Access-Control-Allow-Origin": a.cors.origin, "Access-Control-Allow-Methods": allow}
		if a.cors.headers != "" {
			headers["Access-Control-Allow-Headers"] = a.cors.headers
		}
		if a.cors.maxAge != "" {
			headers["Access-Control-Max-Age"] = a.cors.maxAge
		}
		if a.cors.credentials {
			headers["Access-Control-Allow-Credentials"] = "true"
		}
		fn, isNew := s.app.preflightFunction("CorsPreflight", headers, fns)
		if isNew {
			made[a] = append(made[a], fn)
		}
		r := Route{Route: route, Function: fn, Payload: "1.0"}
		if def := defaults[k.api]; a.preflightAuth && def != "" {
			r.Authorizer = def
			if s.app.Authorizers[def] == nil {
				s.notes.add(a.cors.line, a.cors.path, route+": "+notImported(def))
				r.Authorizer = s.app.closed()
			}
		}
		s.app.Routes = append(s.app.Routes, r)
	}
}
