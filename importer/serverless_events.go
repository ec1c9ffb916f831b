package importer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portico/portico/internal/awsdefault"
)

// readEvent imports one entry of a function's events.
func (s *slsImport) readEvent(fn, path string, ev *yaml.Node) {
	ps := pairs(ev)
	if len(ps) != 1 {
		s.note(ev, path, "not an event (want one key naming its type): left out")
		return
	}
	p := ps[0]
	key := path + "." + p.key
	switch p.key {
	case "http":
		s.readHTTP(fn, key, p.k, p.value)
	case "httpApi":
		s.readHTTPAPI(fn, key, p.k, p.value)
	case "schedule":
		s.readSchedule(fn, key, p.k, p.value)
	case "sqs":
		s.readSQS(fn, key, p.k, p.value)
	default:
		s.note(p.k, key, "%s events are not served locally", p.key)
	}
}

// restMethods are the methods a REST API (and an HTTP API) route takes.
var restMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// routeMethod is a method as a route key spells it: upper case, * as ANY.
func routeMethod(m string) (string, bool) {
	m = strings.ToUpper(strings.TrimSpace(m))
	if m == "*" {
		m = "ANY"
	}
	return m, slices.Contains(restMethods, m)
}

// routePath is a path as a route key spells it: with its leading slash.
func routePath(p string) string {
	p = strings.TrimSpace(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// slsRESTCORS is a REST path's cors setting and the methods it serves.
type slsRESTCORS struct {
	path    string
	methods []string
	cfg     *yaml.Node
	key     string
}

// readHTTP imports an http event: a REST API route, payload 1.0.
func (s *slsImport) readHTTP(fn, key string, at, n *yaml.Node) {
	var method, path string
	var cors, auth, private *yaml.Node
	if v, ok := scalar(n); ok {
		f := strings.Fields(v)
		if len(f) != 2 {
			s.note(at, key, "%q: want METHOD PATH: left out", v)
			return
		}
		method, path = f[0], f[1]
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "path":
				path, _ = scalar(p.value)
			case "method":
				method, _ = scalar(p.value)
			case "cors":
				cors = p.value
			case "authorizer":
				auth = p.value
			case "integration":
				if v, _ := scalar(p.value); !slices.Contains([]string{"lambda-proxy", "aws_proxy", "AWS_PROXY"}, v) {
					s.note(p.k, key+".integration", "integration %s (request and response templates) is not supported: served as lambda-proxy", v)
				}
			case "private":
				if scalarIs(p.value, "true") {
					private = p.k
				}
			case "async":
				s.note(p.k, key+".async", "asynchronous integration: served synchronously")
			default:
				s.note(p.k, key+"."+p.key, "REST API setting: not carried over")
			}
		}
	}
	m, ok := routeMethod(method)
	if !ok || path == "" {
		s.note(at, key, "method %q, path %q: not a route: left out", method, path)
		return
	}
	r := pendingRoute{Route: Route{Route: m + " " + routePath(path), Function: fn, Payload: "1.0"}, node: at, key: key}
	if auth != nil {
		r.Authorizer = s.restAuthorizer(key+".authorizer", auth)
	}
	switch {
	case private != nil && r.Authorizer == "":
		s.note(private, key+".private", "an API key is required on AWS: %s (an apikey authorizer: add apiKeys:)", reasonClosed)
		r.Authorizer = ClosedAuthorizer
	case private != nil:
		s.note(private, key+".private", "an API key is required on AWS: not checked locally, the route's authorizer alone guards it")
	}
	if cors != nil {
		if v, ok := scalar(cors); !ok || v != "false" {
			s.slsRESTCORS = append(s.slsRESTCORS, slsRESTCORS{path: routePath(path), methods: []string{m}, cfg: cors, key: key + ".cors"})
		}
	}
	s.rest.routes = append(s.rest.routes, r)
}

// REST authorizer defaults, as the Framework sets them.
const (
	restIdentitySource = "method.request.header.Authorization"
	restAuthorizerTTL  = 300 * time.Second
)

// restAuthorizer imports an http event's authorizer and returns its name,
// or ClosedAuthorizer (with a note) when it cannot be checked locally.
func (s *slsImport) restAuthorizer(key string, n *yaml.Node) string {
	var name, arn, typ, identity string
	ttl := restAuthorizerTTL
	if v, ok := scalar(n); ok {
		switch {
		case strings.EqualFold(v, "aws_iam"):
			typ = "aws_iam" // the Framework's shorthand
		case strings.HasPrefix(v, "arn:"):
			arn = v
		default:
			name = v
		}
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "name", "functionName":
				name, _ = scalar(p.value)
			case "arn":
				arn, _ = scalar(p.value)
			case "type":
				typ, _ = scalar(p.value)
				typ = strings.ToLower(typ)
			case "identitySource":
				identity, _ = scalar(p.value)
			case "resultTtlInSeconds":
				v, _ := scalar(p.value)
				secs, err := strconv.Atoi(v)
				if err != nil || secs < 0 || secs > 3600 {
					s.note(p.k, key+".resultTtlInSeconds", "%q is not 0 to 3600 seconds: 300 is used", v)
				} else {
					ttl = time.Duration(secs) * time.Second
				}
			case "identityValidationExpression":
				s.note(p.k, key+"."+p.key, "not checked locally: the authorizer is invoked whatever the token looks like")
			default:
				s.note(p.k, key+"."+p.key, "authorizer setting: not carried over")
			}
		}
	}
	switch {
	case typ == "aws_iam":
		s.note(n, key, "IAM authorization needs AWS: %s", reasonClosed)
		return ClosedAuthorizer
	case typ == "cognito_user_pools" || strings.Contains(arn, ":cognito-idp:"):
		s.note(n, key, "a Cognito user pool authorizer needs its app client ids, which the file does not hold: %s (write a jwt authorizer)", reasonClosed)
		return ClosedAuthorizer
	case arn != "":
		if fn := s.deployedFunction(arn); fn != "" {
			name = fn
		} else {
			s.note(n, key, "authorizer %s is outside the service (needs AWS): %s", arn, reasonClosed)
			return ClosedAuthorizer
		}
	}
	if !s.functionNames[name] {
		s.note(n, key, "authorizer %q is not a function of the service: %s", name, reasonClosed)
		return ClosedAuthorizer
	}
	if _, done := s.rest.authorizers[name]; done {
		return name
	}
	a := &Authorizer{Type: "lambda", Function: name, ResultTTL: Duration(ttl)}
	for src := range strings.SplitSeq(identity, ",") {
		if src = strings.TrimSpace(src); src != "" {
			a.IdentitySource = append(a.IdentitySource, src)
		}
	}
	if len(a.IdentitySource) == 0 {
		a.IdentitySource = []string{restIdentitySource}
	}
	if typ != "request" {
		s.note(n, key, "a TOKEN authorizer runs as a REQUEST authorizer: %s receives the REST REQUEST event (the token in its headers), not authorizationToken", name)
	}
	s.rest.authorizers[name] = a
	return name
}

// deployedFunction is the function of the service a Lambda ARN names by
// its deployed name (service-stage-function), or "".
func (s *slsImport) deployedFunction(arn string) string {
	i := strings.LastIndex(arn, ":function:")
	if i < 0 {
		return ""
	}
	deployed := arn[i+len(":function:"):]
	if fn, ok := strings.CutPrefix(deployed, s.service+"-"+s.stage+"-"); ok && s.functionNames[fn] {
		return fn
	}
	return ""
}

// readHTTPAPI imports an httpApi event: an HTTP API route.
func (s *slsImport) readHTTPAPI(fn, key string, at, n *yaml.Node) {
	var method, path string
	var auth *yaml.Node
	if v, ok := scalar(n); ok {
		if v == "*" {
			path = "*"
		} else if f := strings.Fields(v); len(f) == 2 {
			method, path = f[0], f[1]
		}
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "method":
				method, _ = scalar(p.value)
			case "path":
				path, _ = scalar(p.value)
			case "authorizer":
				auth = p.value
			default:
				s.note(p.k, key+"."+p.key, "HTTP API setting: not carried over")
			}
		}
	}
	var route string
	switch m, ok := routeMethod(method); {
	case path == "*" && (method == "" || method == "*"):
		route = "$default"
	case ok && strings.HasPrefix(path, "/"):
		route = m + " " + path
	default:
		s.note(at, key, "method %q, path %q: not a route: left out", method, path)
		return
	}
	payload := s.http.payloads[fn]
	if payload == "" {
		payload = s.httpPayload
	}
	if payload == "" {
		payload = "2.0"
	}
	r := pendingRoute{Route: Route{Route: route, Function: fn, Payload: payload}, node: at, key: key}
	if auth != nil {
		r.Authorizer, r.Scopes = s.httpAuthorizer(key+".authorizer", auth)
	}
	s.http.routes = append(s.http.routes, r)
}

// httpAuthorizer imports an httpApi event's authorizer (one of
// provider.httpApi.authorizers) and returns its name and the route's
// scopes, or ClosedAuthorizer (with a note) when it cannot be checked
// locally.
func (s *slsImport) httpAuthorizer(key string, n *yaml.Node) (string, []string) {
	var name, typ string
	var scopes []string
	if v, ok := scalar(n); ok {
		name = v
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "name":
				name, _ = scalar(p.value)
			case "scopes":
				scopes, _ = scalarList(p.value)
			case "type":
				typ, _ = scalar(p.value)
			case "id":
				s.note(p.k, key+".id", "an authorizer of an API outside the service (needs AWS): %s", reasonClosed)
				return ClosedAuthorizer, nil
			default:
				s.note(p.k, key+"."+p.key, "authorizer setting: not carried over")
			}
		}
	}
	if typ == "aws_iam" {
		s.note(n, key, "IAM authorization needs AWS: %s", reasonClosed)
		return ClosedAuthorizer, nil
	}
	if _, done := s.http.authorizers[name]; done {
		if s.http.authorizers[name] == nil {
			return ClosedAuthorizer, nil // noted where the authorizer is
		}
		return name, scopes
	}
	cfg := get(s.httpAuth, name)
	if cfg == nil {
		s.note(n, key, "authorizer %q is not in provider.httpApi.authorizers: %s", name, reasonClosed)
		return ClosedAuthorizer, nil
	}
	a := s.httpAuthorizerConfig("provider.httpApi.authorizers."+name, cfg)
	s.http.authorizers[name] = a
	if a == nil {
		return ClosedAuthorizer, nil
	}
	return name, scopes
}

// httpAuthorizerConfig imports one of provider.httpApi.authorizers, or
// returns nil (with a note) when it cannot run locally.
func (s *slsImport) httpAuthorizerConfig(path string, n *yaml.Node) *Authorizer {
	a := &Authorizer{Type: "jwt"}
	typ, _ := scalar(get(n, "type"))
	if strings.EqualFold(typ, "request") {
		a.Type = "lambda"
		a.Payload = "2.0"
	}
	for _, p := range pairs(n) {
		key := path + "." + p.key
		switch p.key {
		case "type":
		case "issuerUrl":
			a.Issuer, _ = scalar(p.value)
		case "audience":
			a.Audience, _ = scalarList(p.value)
		case "identitySource":
			a.IdentitySource, _ = scalarList(p.value)
		case "functionName":
			a.Function, _ = scalar(p.value)
			if !s.functionNames[a.Function] {
				s.note(p.k, key, "%q is not a function of the service: routes using the authorizer answer 403 (authorizer %s) until you configure one for them", a.Function, ClosedAuthorizer)
				return nil
			}
		case "functionArn":
			v, _ := scalar(p.value)
			if a.Function = s.deployedFunction(v); a.Function == "" {
				s.note(p.k, key, "authorizer function %s is outside the service (needs AWS): routes using it answer 403 (authorizer %s) until you configure one for them", v, ClosedAuthorizer)
				return nil
			}
		case "payloadVersion":
			a.Payload, _ = scalar(p.value)
		case "enableSimpleResponses":
			a.SimpleResponses = p.value.Value == "true"
		case "resultTtlInSeconds":
			v, _ := scalar(p.value)
			secs, err := strconv.Atoi(v)
			if err != nil || secs < 0 || secs > 3600 {
				s.note(p.k, key, "%q is not 0 to 3600 seconds: caching is off", v)
			} else {
				a.ResultTTL = Duration(time.Duration(secs) * time.Second)
			}
		case "name", "managedExternally":
			s.note(p.k, key, "deployment setting: ignored locally")
		default:
			s.note(p.k, key, "authorizer setting: not carried over")
		}
	}
	if a.Type == "lambda" && a.SimpleResponses && a.Payload == "1.0" {
		s.note(n, path+".enableSimpleResponses", "simple responses need payloadVersion 2.0: left out")
		a.SimpleResponses = false
	}
	if a.Type == "lambda" && a.ResultTTL > 0 && len(a.IdentitySource) == 0 {
		s.note(n, path+".resultTtlInSeconds", "caching needs an identitySource: caching is off")
		a.ResultTTL = 0
	}
	return a
}

// HTTP API CORS defaults of the Framework (provider.httpApi.cors: true).
var defaultCORSHeaders = []string{"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
	"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"}

// corsHTTP imports provider.httpApi.cors: true, or its object. Methods
// left out are OPTIONS and the routes' methods, as the Framework fills
// them.
func (s *slsImport) corsHTTP(n *yaml.Node, routes []pendingRoute) *CORS {
	if n == nil {
		return nil
	}
	const path = "provider.httpApi.cors"
	c := &CORS{AllowOrigins: []string{"*"}, AllowHeaders: slices.Clone(defaultCORSHeaders)}
	if v, ok := scalar(n); ok {
		if v != "true" {
			return nil
		}
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "allowedOrigins":
				c.AllowOrigins, _ = scalarList(p.value)
			case "allowedHeaders":
				c.AllowHeaders, _ = scalarList(p.value)
			case "allowedMethods":
				c.AllowMethods, _ = scalarList(p.value)
			case "allowCredentials":
				c.AllowCredentials = p.value.Value == "true"
			case "exposedResponseHeaders":
				c.ExposeHeaders, _ = scalarList(p.value)
			case "maxAge":
				c.MaxAge, _ = strconv.Atoi(p.value.Value)
			default:
				s.note(p.k, path+"."+p.key, "CORS setting: not carried over")
			}
		}
	}
	if c.AllowMethods == nil {
		c.AllowMethods = []string{"OPTIONS"}
		for _, r := range routes {
			m, _, _ := strings.Cut(r.Route.Route, " ")
			switch m {
			case "$default", "ANY":
				for _, x := range restMethods[1:] {
					if !slices.Contains(c.AllowMethods, x) {
						c.AllowMethods = append(c.AllowMethods, x)
					}
				}
			default:
				if !slices.Contains(c.AllowMethods, m) {
					c.AllowMethods = append(c.AllowMethods, m)
				}
			}
		}
	}
	if c.AllowCredentials && slices.ContainsFunc(c.AllowOrigins, func(o string) bool { return o == "*" || strings.HasSuffix(o, "://*") }) {
		s.note(n, path+".allowCredentials", "credentials with any origin let every site read responses with the user's cookies: Portico refuses it, so it is left out")
		c.AllowCredentials = false
	}
	return c
}

// addRESTPreflights answers the preflights of REST paths with cors as the
// Framework does on AWS, with an OPTIONS route to a mock returning the
// CORS headers (REST APIs have no built-in CORS), unless the service
// routes OPTIONS on the path itself.
func (s *slsImport) addRESTPreflights() {
	byPath := map[string]*slsRESTCORS{}
	var order []string
	for i := range s.slsRESTCORS {
		c := &s.slsRESTCORS[i]
		if prev := byPath[c.path]; prev != nil {
			prev.methods = append(prev.methods, c.methods...)
			continue
		}
		cp := *c
		byPath[c.path] = &cp
		order = append(order, c.path)
	}
	mocks := map[string]string{} // response JSON -> function
	for _, path := range order {
		c := byPath[path]
		if slices.ContainsFunc(s.rest.routes, func(r pendingRoute) bool {
			return r.Route.Route == "OPTIONS "+path || r.Route.Route == "ANY "+path
		}) {
			continue
		}
		headers := s.restCORSHeaders(c)
		fn, _ := s.app.preflightFunction("cors-preflight", headers, mocks)
		s.rest.routes = append(s.rest.routes, pendingRoute{
			Route: Route{Route: "OPTIONS " + path, Function: fn, Payload: "1.0"}, node: c.cfg, key: c.key})
	}
}

// restCORSHeaders are the headers the Framework's OPTIONS method answers
// with for c: cors: true, or its origin(s), headers, allowCredentials and
// maxAge.
func (s *slsImport) restCORSHeaders(c *slsRESTCORS) map[string]string {
	origin := "*"
	headers := defaultCORSHeaders
	var credentials bool
	var maxAge string
	for _, p := range pairs(c.cfg) {
		switch p.key {
		case "origin":
			origin, _ = scalar(p.value)
		case "origins":
			list, _ := scalarList(p.value)
			if len(list) > 0 {
				origin = list[0]
			}
			if len(list) > 1 {
				s.note(p.k, c.key+".origins", "the preflight answers the first origin, %s, only", origin)
			}
		case "headers":
			headers, _ = scalarList(p.value)
		case "allowCredentials":
			credentials = p.value.Value == "true"
		case "maxAge":
			maxAge = p.value.Value
		default:
			s.note(p.k, c.key+"."+p.key, "CORS setting: not carried over")
		}
	}
	methods := []string{"OPTIONS"}
	for _, m := range c.methods {
		if m == "ANY" {
			for _, x := range restMethods[1:] {
				if !slices.Contains(methods, x) {
					methods = append(methods, x)
				}
			}
		} else if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	h := map[string]string{
		"Access-Control-Allow-Origin":  origin,
		"Access-Control-Allow-Headers": strings.Join(headers, ","),
		"Access-Control-Allow-Methods": strings.Join(methods, ","),
	}
	if credentials {
		h["Access-Control-Allow-Credentials"] = "true"
	}
	if maxAge != "" {
		h["Access-Control-Max-Age"] = maxAge
	}
	return h
}

// scheduleName is an EventBridge rule name: 1-64 of . - _ A-Z a-z 0-9.
var scheduleName = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)

// readSchedule imports a schedule event: a rate or cron expression, or
// its object (rate, which may list several, enabled, input, name,
// timezone).
func (s *slsImport) readSchedule(fn, key string, at, n *yaml.Node) {
	var exprs []string
	var name, tz string
	var input any
	if v, ok := scalar(n); ok {
		exprs = []string{v}
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "rate":
				exprs, _ = scalarList(p.value)
			case "enabled":
				if p.value.Value == "false" {
					s.note(p.k, key+".enabled", "a disabled schedule: left out")
					return
				}
			case "input":
				input = s.scheduleInput(p.value)
			case "name":
				name, _ = scalar(p.value)
			case "timezone":
				tz, _ = scalar(p.value)
			case "description", "method":
			default:
				s.note(p.k, key+"."+p.key, "schedule setting: not carried over")
			}
		}
	}
	for i, e := range exprs {
		sc := Schedule{Name: name, Function: fn, Expression: e, Input: input, Timezone: tz}
		if sc.Name == "" || len(exprs) > 1 {
			sc.Name = fmt.Sprintf("%s-schedule-%d", fn, len(s.app.Schedules)+1)
		}
		if !scheduleName.MatchString(sc.Name) {
			sc.Name = strings.Map(func(r rune) rune {
				if r == '.' || r == '-' || r == '_' || r < 128 && (r >= '0' && r <= '9' || r|0x20 >= 'a' && r|0x20 <= 'z') {
					return r
				}
				return '-'
			}, sc.Name)
			if len(sc.Name) > 64 {
				sc.Name = sc.Name[:64]
			}
		}
		if taken := slices.ContainsFunc(s.app.Schedules, func(o Schedule) bool { return o.Name == sc.Name }); taken {
			base := sc.Name
			for n := 2; slices.ContainsFunc(s.app.Schedules, func(o Schedule) bool { return o.Name == sc.Name }); n++ {
				suffix := "-" + strconv.Itoa(n)
				sc.Name = base[:min(len(base), 64-len(suffix))] + suffix
			}
			k := key
			if len(exprs) > 1 {
				k = fmt.Sprintf("%s.rate[%d]", key, i)
			}
			s.note(at, k, "schedule name %s is taken (the config's names are unique): named %s", base, sc.Name)
		}
		s.app.Schedules = append(s.app.Schedules, sc)
	}
}

// scheduleInput is a schedule's constant input: a YAML value, or a string
// holding JSON (as the Framework's docs write it).
func (s *slsImport) scheduleInput(n *yaml.Node) any {
	var v any
	if str, ok := scalar(n); ok && n.Tag == "!!str" {
		if json.Unmarshal([]byte(str), &v) == nil {
			return v
		}
		return str
	}
	if err := n.Decode(&v); err != nil {
		return nil
	}
	return v
}

// readSQS imports an sqs event: a poller of the queue the ARN names.
func (s *slsImport) readSQS(fn, key string, at, n *yaml.Node) {
	src := EventSource{Function: fn, Type: "sqs"}
	var arn *yaml.Node
	if _, ok := scalar(n); ok {
		arn = n
	} else {
		for _, p := range pairs(n) {
			switch p.key {
			case "arn":
				arn = p.value
			case "batchSize":
				src.BatchSize, _ = strconv.Atoi(p.value.Value)
			case "maximumBatchingWindow":
				secs, _ := strconv.Atoi(p.value.Value)
				src.MaximumBatchingWindow = Duration(time.Duration(secs) * time.Second)
			case "functionResponseType":
				if v, _ := scalar(p.value); v != "" {
					src.FunctionResponseTypes = []string{v}
				}
			case "enabled":
				if p.value.Value == "false" {
					s.note(p.k, key+".enabled", "a disabled event source: left out")
					return
				}
			default:
				s.note(p.k, key+"."+p.key, "event source setting: not carried over")
			}
		}
	}
	url, err := s.queueURL(arn)
	if err != nil {
		s.note(at, key, "%v: left out", err)
		return
	}
	src.QueueURL = url
	s.app.EventSources = append(s.app.EventSources, src)
}

// queueURL is the URL of the queue an sqs event's arn names: an ARN, or
// the CloudFormation the Framework accepts there (Fn::GetAtt of a queue of
// resources:, Fn::Join, Fn::Sub, Ref of the pseudo parameters).
func (s *slsImport) queueURL(n *yaml.Node) (string, error) {
	if n == nil {
		return "", fmt.Errorf("no queue arn")
	}
	arn, err := s.cfnString(n, 0)
	if err != nil {
		return "", err
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", fmt.Errorf("%q is not an SQS queue ARN", arn)
	}
	domain := "amazonaws.com"
	if parts[1] == "aws-cn" {
		domain = "amazonaws.com.cn"
	}
	return "https://sqs." + parts[3] + "." + domain + "/" + parts[4] + "/" + parts[5], nil
}

// cfnString evaluates the CloudFormation value n as a string, for what an
// import can know: pseudo parameters, Fn::Join, Fn::Sub, and the Arn of a
// queue of resources: that names itself.
func (s *slsImport) cfnString(n *yaml.Node, depth int) (string, error) {
	if depth > maxVarDepth {
		return "", fmt.Errorf("CloudFormation value nested too deep")
	}
	n = deref(n)
	if v, ok := scalar(n); ok {
		switch n.Tag {
		case "!Ref":
			return s.cfnRef(v)
		case "!GetAtt":
			logical, attr, _ := strings.Cut(v, ".")
			return s.cfnGetAtt(logical, attr, depth)
		case "!Sub":
			return s.cfnSub(v, depth)
		}
		return v, nil
	}
	if n.Kind == yaml.SequenceNode {
		switch n.Tag {
		case "!GetAtt":
			l, _ := scalarList(n)
			if len(l) == 2 {
				return s.cfnGetAtt(l[0], l[1], depth)
			}
		case "!Join":
			return s.cfnJoin(n, depth)
		}
		return "", fmt.Errorf("a CloudFormation value the import cannot evaluate (needs AWS)")
	}
	ps := pairs(n)
	if len(ps) != 1 {
		return "", fmt.Errorf("a CloudFormation value the import cannot evaluate (needs AWS)")
	}
	switch p := ps[0]; p.key {
	case "Ref":
		v, _ := scalar(p.value)
		return s.cfnRef(v)
	case "Fn::GetAtt":
		if v, ok := scalar(p.value); ok {
			logical, attr, _ := strings.Cut(v, ".")
			return s.cfnGetAtt(logical, attr, depth)
		}
		l, _ := scalarList(p.value)
		if len(l) == 2 {
			return s.cfnGetAtt(l[0], l[1], depth)
		}
	case "Fn::Join":
		return s.cfnJoin(p.value, depth)
	case "Fn::Sub":
		if v, ok := scalar(p.value); ok {
			return s.cfnSub(v, depth)
		}
	}
	return "", fmt.Errorf("%s: a CloudFormation value the import cannot evaluate (needs AWS)", ps[0].key)
}

func (s *slsImport) cfnJoin(n *yaml.Node, depth int) (string, error) {
	items := seqItems(n)
	if len(items) != 2 {
		return "", fmt.Errorf("Fn::Join: want [delimiter, [values]]")
	}
	sep, _ := scalar(items[0])
	var out []string
	for _, it := range seqItems(items[1]) {
		v, err := s.cfnString(it, depth+1)
		if err != nil {
			return "", err
		}
		out = append(out, v)
	}
	return strings.Join(out, sep), nil
}

func (s *slsImport) cfnRef(name string) (string, error) {
	switch name {
	case "AWS::Region":
		return s.region, nil
	case "AWS::AccountId":
		return awsdefault.AccountID, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	}
	return "", fmt.Errorf("Ref %s needs AWS", name)
}

var subRef = regexp.MustCompile(`\$\{([^}]*)\}`)

func (s *slsImport) cfnSub(v string, depth int) (string, error) {
	var err error
	out := subRef.ReplaceAllStringFunc(v, func(m string) string {
		name := m[2 : len(m)-1]
		var r string
		var e error
		if logical, attr, ok := strings.Cut(name, "."); ok {
			r, e = s.cfnGetAtt(logical, attr, depth)
		} else {
			r, e = s.cfnRef(name)
		}
		if e != nil && err == nil {
			err = e
		}
		return r
	})
	return out, err
}

// cfnGetAtt evaluates Fn::GetAtt of a queue of resources: its Arn, from
// its QueueName, evaluated one level deeper (a QueueName may name the queue
// itself).
func (s *slsImport) cfnGetAtt(logical, attr string, depth int) (string, error) {
	res := get(s.resources, logical)
	if typ, _ := scalar(get(res, "Type")); typ != "AWS::SQS::Queue" || attr != "Arn" {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: not the Arn of a queue of resources: (needs AWS)", logical, attr)
	}
	qn := get(get(res, "Properties"), "QueueName")
	if qn == nil {
		return "", fmt.Errorf("queue %s has no QueueName: CloudFormation names it on AWS", logical)
	}
	name, err := s.cfnString(qn, depth+1)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("queue %s has no QueueName: CloudFormation names it on AWS", logical)
	}
	return "arn:aws:sqs:" + s.region + ":" + awsdefault.AccountID + ":" + name, nil
}
