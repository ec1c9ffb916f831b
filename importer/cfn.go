package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// importV2API declares a plain CloudFormation HTTP API
// (AWS::ApiGatewayV2::Api): its quick-create Target becomes a $default
// route, its Body an OpenAPI definition, and an AWS::ApiGatewayV2::Stage
// of it gives the stage name and variables.
func (s *samImport) importV2API(id string, def *yaml.Node) {
	path := "Resources." + id + ".Properties"
	props := get(def, "Properties")
	if p, _ := scalar(get(props, "ProtocolType")); p != "HTTP" {
		s.notes.add(def.Line, "Resources."+id, fmt.Sprintf("unsupported: %s APIs (only HTTP)", p))
		return
	}
	a := &apiDef{id: id, flavour: flavourHTTP, path: path, line: def.Line,
		props: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: def.Line}}
	for _, p := range pairs(props) {
		key := p.key
		switch p.key {
		case "ProtocolType", "Name", "Description":
			continue
		case "Target":
			v, err := s.ev.evalString(p.value, path+".Target")
			fn, ok := s.functionOfURI(v)
			if err != nil || !ok {
				s.notes.add(p.line, path+".Target", "not imported: the target is no function of this template")
				continue
			}
			s.routes = append(s.routes, importedRoute{Route: Route{Route: "$default", Function: fn, Payload: "2.0"},
				api: id, flavour: flavourHTTP, line: p.line, key: path + ".Target"})
			continue
		case "Body":
			key = "DefinitionBody"
		case "BodyS3Location":
			s.notes.add(p.line, path+"."+p.key, "needs AWS: the definition is in S3")
			continue
		}
		a.props.Content = append(a.props.Content, scalarAt(&yaml.Node{Line: p.line}, key), p.value)
	}
	for _, r := range s.resources {
		typ, _ := scalar(get(r.value, "Type"))
		sp := get(r.value, "Properties")
		if typ != "AWS::ApiGatewayV2::Stage" || apiRef(get(sp, "ApiId")) != id {
			continue
		}
		for _, p := range pairs(sp) {
			switch p.key {
			case "StageName", "StageVariables":
				a.props.Content = append(a.props.Content, scalarAt(&yaml.Node{Line: p.line}, p.key), p.value)
			case "ApiId", "AutoDeploy", "Description", "DeploymentId":
			default:
				s.notes.add(p.line, "Resources."+r.key+".Properties."+p.key, "unsupported: not carried over")
			}
		}
	}
	s.apis[id] = a
}

// importV2Route imports an AWS::ApiGatewayV2::Route whose target is an
// AWS_PROXY integration of a function of the template.
func (s *samImport) importV2Route(id string, def *yaml.Node) {
	base := "Resources." + id + ".Properties"
	props := get(def, "Properties")
	r := importedRoute{flavour: flavourHTTP, line: def.Line, key: "Resources." + id, authSet: true}
	r.api = apiRef(get(props, "ApiId"))
	for _, p := range pairs(props) {
		path := base + "." + p.key
		v, err := s.ev.eval(p.value, path)
		if err != nil {
			s.notes.addErr(p.line, path, err)
			return
		}
		str, _ := scalar(v)
		switch p.key {
		case "ApiId", "OperationName":
		case "RouteKey":
			if str == "$default" {
				r.Route.Route = str
			} else if m, pth, ok := strings.Cut(str, " "); ok {
				r.Route.Route = routeKey(m, pth)
			}
		case "Target":
			integ, ok := strings.CutPrefix(str, "integrations/")
			if !ok || !s.readV2Integration(&r, integ) {
				s.notes.add(p.line, path, fmt.Sprintf("not imported: %q is no AWS_PROXY integration of a function of this template", str))
				return
			}
		case "AuthorizationType":
			if str == "AWS_IAM" {
				s.notes.add(p.line, path, "IAM authorization needs AWS: "+reasonClosed)
				r.Authorizer = s.app.closed()
			}
		case "AuthorizerId":
			if r.Authorizer = s.readV2Authorizer(str); r.Authorizer == "" {
				s.notes.add(p.line, path, "the authorizer was not imported: "+reasonClosed)
				r.Authorizer = s.app.closed()
			}
		case "AuthorizationScopes":
			for _, c := range contentOf(v) {
				r.Scopes = append(r.Scopes, c.Value)
			}
		default:
			s.notes.add(p.line, path, "unsupported: not carried over")
		}
	}
	if r.Route.Route == "" || r.Function == "" {
		s.notes.add(def.Line, "Resources."+id, "not imported: a route needs a RouteKey and a Target")
		return
	}
	s.routes = append(s.routes, r)
}

// readV2Integration fills in r's function and payload from integration id.
func (s *samImport) readV2Integration(r *importedRoute, id string) bool {
	res, ok := s.ev.resources[id]
	if !ok || res.typ != "AWS::ApiGatewayV2::Integration" {
		return false
	}
	path := "Resources." + id + ".Properties"
	props, err := s.ev.eval(res.props, path)
	if err != nil {
		s.notes.addErr(s.line(res.props), path, err)
		return false
	}
	if t, _ := scalar(get(props, "IntegrationType")); t != "AWS_PROXY" {
		return false
	}
	noteUnknown(s.notes, props, path, "ApiId", "IntegrationType", "IntegrationMethod", "IntegrationUri",
		"PayloadFormatVersion", "TimeoutInMillis", "Description")
	uri, _ := scalar(get(props, "IntegrationUri"))
	fn, ok := s.functionOfURI(uri)
	if !ok {
		return false
	}
	r.Function = fn
	r.Payload, _ = scalar(get(props, "PayloadFormatVersion"))
	if ms, ok := scalar(get(props, "TimeoutInMillis")); ok {
		n, _ := strconv.Atoi(ms)
		r.Timeout = Duration(n) * 1e6
	}
	return true
}

// readV2Authorizer imports an AWS::ApiGatewayV2::Authorizer and returns
// its name, or "" (noted) when it cannot be.
func (s *samImport) readV2Authorizer(id string) string {
	res, ok := s.ev.resources[id]
	if !ok || res.typ != "AWS::ApiGatewayV2::Authorizer" {
		return id // reported as not imported when the routes are read
	}
	if s.app.Authorizers[id] != nil {
		return id
	}
	path := "Resources." + id + ".Properties"
	props, err := s.ev.eval(res.props, path)
	if err != nil {
		s.notes.addErr(s.line(res.props), path, err)
		return ""
	}
	noteUnknown(s.notes, props, path, "Name", "ApiId", "AuthorizerType", "IdentitySource", "JwtConfiguration",
		"AuthorizerUri", "AuthorizerPayloadFormatVersion", "EnableSimpleResponses", "AuthorizerResultTtlInSeconds")
	au := &Authorizer{}
	for _, c := range contentOf(get(props, "IdentitySource")) {
		au.IdentitySource = append(au.IdentitySource, c.Value)
	}
	switch t, _ := scalar(get(props, "AuthorizerType")); t {
	case "JWT":
		au.Type = "jwt"
		jwt := get(props, "JwtConfiguration")
		au.Issuer, _ = scalar(get(jwt, "Issuer"))
		for _, c := range contentOf(get(jwt, "Audience")) {
			au.Audience = append(au.Audience, c.Value)
		}
	case "REQUEST":
		uri, _ := scalar(get(props, "AuthorizerUri"))
		fn, ok := s.functionOfURI(uri)
		if !ok {
			s.notes.add(s.line(res.props), path+".AuthorizerUri", "not imported: no function of this template")
			return ""
		}
		au.Type, au.Function = "lambda", fn
		au.Payload, _ = scalar(get(props, "AuthorizerPayloadFormatVersion"))
		au.SimpleResponses = scalarIs(get(props, "EnableSimpleResponses"), "true")
		if v, ok := scalar(get(props, "AuthorizerResultTtlInSeconds")); ok && len(au.IdentitySource) > 0 {
			n, _ := strconv.Atoi(v)
			au.ResultTTL = Duration(n) * 1e9
		}
	default:
		s.notes.add(s.line(res.props), path, fmt.Sprintf("unsupported: %s authorizers", t))
		return ""
	}
	if !s.authorizerFits(au, s.line(res.props), path) {
		return ""
	}
	if s.app.Authorizers == nil {
		s.app.Authorizers = map[string]*Authorizer{}
	}
	s.app.Authorizers[id] = au
	return id
}

// noteUnknown notes every key of mapping n not in known.
func noteUnknown(notes *noteList, n *yaml.Node, path string, known ...string) {
	for _, p := range pairs(n) {
		if !slices.Contains(known, p.key) {
			notes.add(p.line, path+"."+p.key, "unsupported: not carried over")
		}
	}
}
