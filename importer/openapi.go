package importer

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// openAPIRoute is a route read from an OpenAPI document.
type openAPIRoute struct {
	Route
	line int
	key  string
}

// openAPIMethods are the operations of a path item API Gateway routes.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}

// openAPIRoutes reads the routes of an OpenAPI 3 or Swagger 2 document
// (paths, methods, and each operation's x-amazon-apigateway-integration):
// an aws_proxy integration whose uri fn resolves to a function is a
// route; an operation without an integration is a route without a
// function, for the caller to complete or note; any other operation is
// noted. An operation whose authorization is not imported (its security,
// or the document's, and x-amazon-apigateway-auth) gets app's closed
// authorizer. prefix starts every note's key.
func openAPIRoutes(doc *yaml.Node, flavour string, fn func(uri string) (string, bool), app *App, notes *noteList, prefix string) []openAPIRoute {
	var out []openAPIRoute
	security := get(doc, "security")
	for _, top := range pairs(doc) {
		if top.key != "paths" {
			continue // info, servers, components…: documentation and schemas
		}
		for _, p := range pairs(top.value) {
			for _, op := range pairs(p.value) {
				key := prefix + "paths." + p.key + "." + op.key
				if !slices.Contains(openAPIMethods, strings.ToLower(op.key)) {
					if op.key != "parameters" && op.key != "summary" && op.key != "description" {
						notes.add(op.line, key, "unsupported: not carried over")
					}
					continue
				}
				r, ok := openAPIOperation(op.value, flavour, fn, security, app, notes, key)
				if !ok {
					continue
				}
				r.Route.Route = routeKey(op.key, p.key)
				if p.key == "$default" {
					r.Route.Route = "$default"
				}
				r.line, r.key = op.line, key
				out = append(out, r)
			}
		}
	}
	return out
}

// openAPISettings applies a document's API-wide extensions to app where
// app has none yet: x-amazon-apigateway-cors (HTTP APIs) and
// x-amazon-apigateway-binary-media-types (REST APIs). Other API-wide
// extensions are noted.
func openAPISettings(doc *yaml.Node, flavour string, app *App, notes *noteList, prefix string) {
	for _, top := range pairs(doc) {
		key := prefix + top.key
		switch {
		case top.key == "x-amazon-apigateway-cors" && flavour == flavourHTTP:
			if app.CORS != nil {
				continue
			}
			c := readCORS(top.value, false, func(kv pair) {
				notes.add(kv.line, key+"."+kv.key, "unsupported: not carried over")
			})
			app.CORS = c
			checkCORS(c, notes, top.line, key)
		case top.key == "x-amazon-apigateway-binary-media-types" && flavour == flavourREST:
			if app.BinaryMediaTypes == nil {
				app.BinaryMediaTypes = scalars(top.value)
			}
		case top.key == "x-amazon-apigateway-importexport-version":
		case strings.HasPrefix(top.key, "x-amazon-apigateway-"):
			notes.add(top.line, key, "unsupported: not carried over")
		}
	}
}

// openAPIOperation reads one operation's integration and authorization;
// security is the document's, for an operation without its own.
func openAPIOperation(op *yaml.Node, flavour string, fn func(string) (string, bool), security *yaml.Node, app *App, notes *noteList, key string) (openAPIRoute, bool) {
	var r openAPIRoute
	for _, p := range pairs(op) {
		switch {
		case p.key == "x-amazon-apigateway-auth":
			if t, _ := scalar(get(p.value, "type")); !strings.EqualFold(t, "NONE") {
				notes.add(p.line, key+"."+p.key, "IAM authorization needs AWS: "+reasonClosed)
				r.Authorizer = app.closed()
			}
		case strings.HasPrefix(p.key, "x-amazon-apigateway-") && p.key != "x-amazon-apigateway-integration":
			notes.add(p.line, key+"."+p.key, "unsupported: not carried over")
		}
	}
	integ := get(op, "x-amazon-apigateway-integration")
	if integ == nil {
		// An event of the same route may complete it (SAM merges them);
		// the caller notes it otherwise.
		return r, true
	}
	typ, _ := scalar(get(integ, "type"))
	if !strings.EqualFold(typ, "aws_proxy") {
		notes.add(integ.Line, key+".x-amazon-apigateway-integration", fmt.Sprintf("unsupported: %s integrations (only aws_proxy to a Lambda function)", typ))
		return r, false
	}
	uri, ok := scalar(get(integ, "uri"))
	if get(integ, "uri") == nil {
		notes.add(integ.Line, key+".x-amazon-apigateway-integration", "not imported: no uri")
		return r, false
	}
	if !ok {
		notes.add(integ.Line, key+".x-amazon-apigateway-integration.uri", "not imported: the uri is not a string (an intrinsic not resolved)")
		return r, false
	}
	name, ok := fn(uri)
	if !ok {
		notes.add(integ.Line, key+".x-amazon-apigateway-integration.uri", fmt.Sprintf("not imported: %q invokes no function of this template", uri))
		return r, false
	}
	r.Function = name
	r.Payload = "1.0"
	if flavour == flavourHTTP {
		r.Payload, _ = scalar(get(integ, "payloadFormatVersion"))
		if r.Payload == "" {
			r.Payload = "2.0"
		}
	}
	switch own := get(op, "security"); {
	case own != nil && requiresAuth(own):
		notes.add(own.Line, key+".security", "OpenAPI security is not imported: "+reasonClosed)
		r.Authorizer = app.closed()
	case own == nil && requiresAuth(security):
		notes.add(op.Line, key, "the document's security is not imported: "+reasonClosed)
		r.Authorizer = app.closed()
	}
	return r, true
}

// requiresAuth says whether an OpenAPI security list requires
// authorization: it has requirements, none of them empty ({} lets
// anonymous requests through).
func requiresAuth(security *yaml.Node) bool {
	if security == nil || security.Kind != yaml.SequenceNode || len(security.Content) == 0 {
		return false
	}
	for _, req := range security.Content {
		if req.Kind == yaml.MappingNode && len(req.Content) == 0 {
			return false
		}
	}
	return true
}

// functionARNOfURI is the Lambda function ARN of an integration uri: the
// ARN itself, or the one inside API Gateway's invocation ARN
// (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations).
func functionARNOfURI(uri string) string {
	if _, rest, ok := strings.Cut(uri, "/functions/"); ok {
		uri = strings.TrimSuffix(rest, "/invocations")
	}
	return uri
}

// ImportOpenAPI imports an OpenAPI 3 or Swagger 2 document with API
// Gateway's extensions as a Portico config: each aws_proxy integration
// becomes a route to a `backend: lambda` function named by the function
// ARN of its uri. Swagger 2 imports as a REST API; OpenAPI 3 as an HTTP
// API when an integration sets payloadFormatVersion (which HTTP APIs
// require), else as REST. Anything not carried over is a note.
func ImportOpenAPI(file string, data []byte) (*App, []Note, error) {
	doc, err := parseTemplate(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	_, swagger := scalar(get(doc, "swagger"))
	_, openapi := scalar(get(doc, "openapi"))
	if !swagger && !openapi || get(doc, "paths") == nil {
		return nil, nil, fmt.Errorf("%s: not an OpenAPI document: want openapi (or swagger) and paths", file)
	}
	flavour := flavourREST
	if openapi && strings.Contains(string(data), "payloadFormatVersion") {
		flavour = flavourHTTP
	}
	notes := &noteList{file: file}
	app := &App{API: flavour, Functions: map[string]*Function{}}
	if flavour == flavourREST {
		// A REST API is served under a stage, which a document does not
		// name: SAM's implicit one.
		app.Stage = implicitRestStage
		notes.add(get(doc, "paths").Line, "paths", fmt.Sprintf("a REST API is served under a stage, which the document does not name: served as %s", implicitRestStage))
	}
	resolve := func(uri string) (string, bool) {
		arn := functionARNOfURI(uri)
		p := strings.Split(arn, ":")
		if len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" || p[6] == "" {
			return "", false
		}
		name := p[6]
		if app.Functions[name] == nil {
			app.Functions[name] = &Function{Backend: "lambda", FunctionName: arn}
		}
		return name, true
	}
	openAPISettings(doc, flavour, app, notes, "")
	seen := map[string]bool{}
	for _, r := range openAPIRoutes(doc, flavour, resolve, app, notes, "") {
		if r.Function == "" {
			notes.add(r.line, r.key, "not imported: no x-amazon-apigateway-integration")
			continue
		}
		if seen[r.Route.Route] {
			notes.add(r.line, r.key, "not imported: "+r.Route.Route+" is already routed")
			continue
		}
		seen[r.Route.Route] = true
		app.Routes = append(app.Routes, r.Route)
	}
	for _, name := range sortedKeys(app.Functions) {
		notes.add(0, "functions."+name, "runs on AWS Lambda (backend: lambda): an OpenAPI document holds no code")
	}
	return app, notes.sorted(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
