package importer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// importEvents imports a function's Events: Api and HttpApi events become
// routes (of their API), Schedule and ScheduleV2 schedules, SQS event
// sources; any other type is noted.
func (s *samImport) importEvents(fn string, events *yaml.Node, base string) {
	for _, e := range pairs(events) {
		path := base + "." + e.key
		typ, _ := scalar(get(e.value, "Type"))
		props, err := s.ev.eval(get(e.value, "Properties"), path+".Properties")
		if err != nil {
			s.notes.addErr(e.line, path, err)
			continue
		}
		raw := get(e.value, "Properties")
		switch typ {
		case "Api", "HttpApi":
			s.apiEvent(fn, typ, e, raw, props, path)
		case "Schedule", "ScheduleV2":
			s.scheduleEvent(fn, typ, e, props, path)
		case "SQS":
			s.sqsEvent(fn, e, props, path)
		default:
			s.notes.add(e.line, path, fmt.Sprintf("unsupported: events of type %s are not delivered locally (invoke the function with `portico invoke` or the Invoke API)", typ))
		}
	}
}

// apiRef is the logical ID an event's RestApiId/ApiId names ({Ref: X} or
// X), or "".
func apiRef(n *yaml.Node) string {
	if intrinsicName(n) == "Ref" {
		v, _ := scalar(n.Content[1])
		return v
	}
	v, _ := scalar(n)
	return v
}

// apiEvent adds the route of an Api or HttpApi event.
func (s *samImport) apiEvent(fn, typ string, e pair, raw, props *yaml.Node, path string) {
	r := importedRoute{line: e.line, key: path}
	r.Function = fn
	method, _ := scalar(get(props, "Method"))
	p, _ := scalar(get(props, "Path"))
	if typ == "Api" {
		r.flavour, r.api, r.Payload = flavourREST, cmpOr(apiRef(get(raw, "RestApiId")), implicitRestAPI), "1.0"
	} else {
		r.flavour, r.api, r.Payload = flavourHTTP, cmpOr(apiRef(get(raw, "ApiId")), implicitHTTPAPI), ""
	}
	switch {
	case typ == "HttpApi" && method == "" && p == "":
		r.Route.Route = "$default" // an HttpApi event without a path catches every request
	case p == "" || method == "":
		s.notes.add(e.line, path, "not imported: an Api event needs Path and Method")
		return
	default:
		r.Route.Route = routeKey(method, p)
	}
	for _, kv := range pairs(props) {
		kpath := path + ".Properties." + kv.key
		v, _ := scalar(kv.value)
		switch kv.key {
		case "Path", "Method", "RestApiId", "ApiId":
		case "PayloadFormatVersion":
			if typ == "HttpApi" {
				r.Payload = v
			} else {
				s.notes.add(kv.line, kpath, "unsupported on Api events: REST routes use payload 1.0")
			}
		case "TimeoutInMillis":
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				r.Timeout = Duration(n) * 1e6
			}
		case "Auth":
			s.routeAuth(&r, kv.value, kpath)
		default:
			s.notes.add(kv.line, kpath, "unsupported: not carried over")
		}
	}
	s.routes = append(s.routes, r)
}

// routeKey is "METHOD /path" as the config writes it: ANY for SAM's "any",
// methods upper-cased (templates write Get and get).
func routeKey(method, path string) string {
	m := strings.ToUpper(method)
	if m == "X-AMAZON-APIGATEWAY-ANY-METHOD" || m == "*" {
		m = "ANY"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return m + " " + path
}

// routeAuth reads an event's Auth: its Authorizer (NONE for none) and
// AuthorizationScopes.
func (s *samImport) routeAuth(r *importedRoute, auth *yaml.Node, path string) {
	for _, kv := range pairs(auth) {
		switch kv.key {
		case "Authorizer":
			name, _ := scalar(kv.value)
			r.authSet, r.none = true, name == "NONE"
			if !r.none {
				r.Authorizer = name
			}
		case "ApiKeyRequired":
			required := scalarIs(kv.value, "true")
			r.apiKey = &required
		case "AuthorizationScopes":
			for _, c := range kv.value.Content {
				if v, ok := scalar(c); ok {
					r.Scopes = append(r.Scopes, v)
				}
			}
		default:
			s.notes.add(kv.line, path+"."+kv.key, "unsupported: not carried over")
		}
	}
}

// scheduleEvent adds a schedule. Disabled ones are noted, not imported.
func (s *samImport) scheduleEvent(fn, typ string, e pair, props *yaml.Node, path string) {
	sch := Schedule{Name: fn + "-" + e.key, Function: fn}
	exprKey := "Schedule"
	if typ == "ScheduleV2" {
		exprKey = "ScheduleExpression"
	}
	for _, kv := range pairs(props) {
		kpath := path + ".Properties." + kv.key
		v, _ := scalar(kv.value)
		switch kv.key {
		case exprKey:
			sch.Expression = v
		case "ScheduleExpressionTimezone":
			sch.Timezone = v
		case "Name":
			sch.Name = v
		case "Description":
		case "Enabled", "State":
			if v == "false" || v == "DISABLED" {
				s.notes.add(kv.line, kpath, "not imported: the schedule is disabled")
				return
			}
		case "Input":
			var in any
			if err := json.Unmarshal([]byte(v), &in); err != nil {
				s.notes.add(kv.line, kpath, "not imported: not JSON")
				continue
			}
			sch.Input = in
		default:
			s.notes.add(kv.line, kpath, "unsupported: not carried over")
		}
	}
	if sch.Expression == "" {
		s.notes.add(e.line, path, "not imported: no "+exprKey)
		return
	}
	s.app.Schedules = append(s.app.Schedules, sch)
}

// sqsEvent adds an SQS event source. The queue is the AWS one the
// template names: a local queue (goaws, LocalStack) is given with
// endpoint: in the config.
func (s *samImport) sqsEvent(fn string, e pair, props *yaml.Node, path string) {
	src := EventSource{Function: fn, Type: "sqs"}
	for _, kv := range pairs(props) {
		kpath := path + ".Properties." + kv.key
		v, _ := scalar(kv.value)
		switch kv.key {
		case "Queue":
			src.QueueURL = queueURL(v)
			if src.QueueURL == "" {
				s.notes.add(kv.line, kpath, fmt.Sprintf("not imported: %q is not an SQS queue ARN", v))
				return
			}
			s.notes.add(kv.line, kpath, "needs AWS: the queue is read on AWS ("+src.QueueURL+"); set endpoint: and queueUrl for a local one")
		case "BatchSize":
			src.BatchSize, _ = strconv.Atoi(v)
		case "MaximumBatchingWindowInSeconds":
			n, _ := strconv.Atoi(v)
			src.MaximumBatchingWindow = Duration(n) * 1e9
		case "FunctionResponseTypes":
			for _, c := range kv.value.Content {
				src.FunctionResponseTypes = append(src.FunctionResponseTypes, c.Value)
			}
		case "Enabled":
			if v == "false" {
				s.notes.add(kv.line, kpath, "not imported: the event source is disabled")
				return
			}
		default:
			s.notes.add(kv.line, kpath, "unsupported: not carried over")
		}
	}
	if src.QueueURL == "" {
		s.notes.add(e.line, path, "not imported: no Queue")
		return
	}
	s.app.EventSources = append(s.app.EventSources, src)
}

// queueURL is the URL of the queue an ARN names (or the URL itself, as
// {Ref: Queue} gives it), or "".
func queueURL(arn string) string {
	if strings.HasPrefix(arn, "https://sqs.") {
		return arn
	}
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[5] == "" {
		return ""
	}
	return sqsURL(p[3], p[4], p[5])
}
