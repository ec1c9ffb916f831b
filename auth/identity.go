package auth

import (
	"fmt"
	"strings"
)

// sourceKind is where an identity source reads its value.
type sourceKind uint8

const (
	srcHeader sourceKind = iota + 1
	srcQuery
	srcContext
	srcStageVar
)

// source is a parsed identity source.
type source struct {
	kind sourceKind
	// name is the header (lower-cased), query parameter, context variable
	// or stage variable.
	name string
}

// sourceNouns name what each kind of source reads, for messages.
var sourceNouns = [...]string{srcHeader: "header", srcQuery: "query parameter", srcContext: "context variable", srcStageVar: "stage variable"}

// contextVars are the $context variables an identity source may name: the
// ones the gateway knows before the authorizer runs.
var contextVars = map[string]bool{
	"accountId": true, "apiId": true, "httpMethod": true, "identity.sourceIp": true,
	"path": true, "requestId": true, "resourcePath": true, "routeKey": true, "stage": true,
}

// parseSource parses an identity source in HTTP API ($request.header.X) or
// REST (method.request.header.X) syntax.
func parseSource(s string) (source, error) {
	rest, ok := "", false
	for _, p := range []struct {
		prefix string
		kind   sourceKind
	}{
		{"$request.header.", srcHeader}, {"method.request.header.", srcHeader},
		{"$request.querystring.", srcQuery}, {"method.request.querystring.", srcQuery},
		{"$context.", srcContext}, {"context.", srcContext},
		{"$stageVariables.", srcStageVar}, {"stageVariables.", srcStageVar},
	} {
		if rest, ok = strings.CutPrefix(s, p.prefix); ok {
			if rest == "" {
				return source{}, fmt.Errorf("%q names no %s", s, sourceNouns[p.kind])
			}
			src := source{kind: p.kind, name: rest}
			switch p.kind {
			case srcHeader:
				if !isToken(rest) {
					return source{}, fmt.Errorf("%q is not a valid header name", rest)
				}
				src.name = strings.ToLower(rest) // header names are case-insensitive
			case srcContext:
				if !contextVars[rest] {
					return source{}, fmt.Errorf("$context.%s is not available to authorizers (use accountId, apiId, httpMethod, identity.sourceIp, path, requestId, resourcePath, routeKey or stage)", rest)
				}
			}
			return src, nil
		}
	}
	if strings.HasPrefix(s, "$request.path.") || strings.HasPrefix(s, "method.request.path.") {
		return source{}, fmt.Errorf("path parameters cannot be identity sources (API Gateway refuses them)")
	}
	return source{}, fmt.Errorf("unknown identity source %q: want $request.header.NAME, $request.querystring.NAME, $context.VAR or $stageVariables.NAME (or the REST forms method.request.header.NAME, method.request.querystring.NAME, context.VAR, stageVariables.NAME)", s)
}

// isToken reports whether s is an HTTP token (a valid header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// routeSource is an identity source compiled for one route: values known
// from the config or the route are worked out once.
type routeSource struct {
	source
	static []byte // the value of a $context source known at load time
	dyn    uint8  // a $context value that changes per request (dynMethod...)
}

const (
	dynNone uint8 = iota
	dynMethod
	dynSourceIP
	dynRequestID
	dynPath
)

// compileSources compiles srcs for a route.
func compileSources(srcs []source, o *Options, routeKey, resource string) []routeSource {
	out := make([]routeSource, len(srcs))
	for i, s := range srcs {
		rs := routeSource{source: s}
		switch s.kind {
		case srcContext:
			switch s.name {
			case "accountId":
				rs.static = []byte(o.AccountID)
			case "apiId":
				rs.static = []byte(o.APIID)
			case "stage":
				rs.static = []byte(o.Stage)
			case "routeKey":
				rs.static = []byte(routeKey)
			case "resourcePath":
				rs.static = []byte(resource)
			case "httpMethod":
				rs.dyn = dynMethod
			case "identity.sourceIp":
				rs.dyn = dynSourceIP
			case "requestId":
				rs.dyn = dynRequestID
			case "path":
				rs.dyn = dynPath
			}
		}
		out[i] = rs
	}
	return out
}

// value returns the source's value for req; nil or empty means missing.
// The slice is valid while req is.
func (s *routeSource) value(req *Request) []byte {
	switch s.kind {
	case srcHeader:
		if req.Header != nil {
			return req.Header(s.name)
		}
	case srcQuery:
		if req.Query != nil {
			return req.Query(s.name)
		}
	case srcStageVar:
		if req.StageVariables != nil {
			if v, ok := req.StageVariables[s.name]; ok {
				return []byte(v)
			}
		}
	case srcContext:
		switch s.dyn {
		case dynMethod:
			return []byte(req.Method)
		case dynSourceIP:
			return req.SourceIP
		case dynRequestID:
			return req.RequestID
		case dynPath:
			return req.Path
		}
		return s.static
	}
	return nil
}
