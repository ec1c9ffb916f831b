package gateway

import (
	"fmt"
	"strings"
)

// routeKey is a parsed route key: "$default", or a method and a path
// template split into segments.
type routeKey struct {
	isDefault bool
	method    string // upper case; "ANY" for any method
	path      string // "/pets/{id}"
	segments  []segment
}

type segmentKind uint8

const (
	segLiteral segmentKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segmentKind
	text string // literal text, or the variable name
}

const defaultRouteKey = "$default"

// routeMethods are the methods a route key may name: ANY, then the route
// table's.
var routeMethods = append([]string{"ANY"}, knownMethods[:]...)

func (k routeKey) String() string {
	if k.isDefault {
		return defaultRouteKey
	}
	return k.method + " " + k.path
}

// parseRouteKey parses "METHOD /path" (ANY for every method), or "$default".
func parseRouteKey(s string) (routeKey, error) {
	if s == defaultRouteKey {
		return routeKey{isDefault: true}, nil
	}
	method, path, ok := strings.Cut(s, " ")
	if !ok || s == "" {
		return routeKey{}, fmt.Errorf(`malformed route %q: want "METHOD /path" or "$default"`, s)
	}
	valid := false
	for _, m := range routeMethods {
		valid = valid || m == method
	}
	if !valid {
		return routeKey{}, fmt.Errorf("malformed route %q: unknown method %q (want one of %s)", s, method, strings.Join(routeMethods, ", "))
	}
	if !strings.HasPrefix(path, "/") {
		return routeKey{}, fmt.Errorf("malformed route %q: the path must start with /", s)
	}
	key := routeKey{method: method, path: path}
	if path == "/" {
		return key, nil
	}
	if strings.HasSuffix(path, "/") {
		return routeKey{}, fmt.Errorf("malformed route %q: the path must not end with /", s)
	}
	names := map[string]bool{}
	parts := strings.Split(path[1:], "/")
	for i, p := range parts {
		switch {
		case p == "":
			return routeKey{}, fmt.Errorf("malformed route %q: empty path segment", s)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			kind := segParam
			if strings.HasSuffix(name, "+") {
				kind, name = segGreedy, name[:len(name)-1]
				if i != len(parts)-1 {
					return routeKey{}, fmt.Errorf("malformed route %q: greedy variable {%s+} must be the last segment", s, name)
				}
			}
			if !validVarName(name) {
				return routeKey{}, fmt.Errorf("malformed route %q: bad variable name %q (letters, digits, _ . -)", s, name)
			}
			if names[name] {
				return routeKey{}, fmt.Errorf("malformed route %q: variable {%s} appears twice", s, name)
			}
			names[name] = true
			key.segments = append(key.segments, segment{kind: kind, text: name})
		case strings.ContainsAny(p, "{}"):
			return routeKey{}, fmt.Errorf("malformed route %q: a variable must fill its whole segment, got %q", s, p)
		case strings.Contains(p, "%"):
			// Requests are matched decoded: an escape here could never match.
			return routeKey{}, fmt.Errorf("malformed route %q: write the path decoded (requests are matched decoded), got %q", s, p)
		default:
			key.segments = append(key.segments, segment{kind: segLiteral, text: p})
		}
	}
	return key, nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// routeConflict is a route whose variables clash with an earlier route's.
type routeConflict struct {
	index int
	msg   string
}

// checkRouteConflicts reports routes that put differently named variables
// at the same place in the path tree ("/pets/{id}" and "/pets/{name}"),
// which API Gateway refuses too: the match would be ambiguous.
func checkRouteConflicts(routes []RouteConfig) []routeConflict {
	type slot struct {
		name  string
		index int
	}
	vars := map[string]slot{} // path prefix + kind → variable
	var out []routeConflict
	for i, r := range routes {
		key, err := parseRouteKey(r.Route)
		if err != nil || key.isDefault {
			continue
		}
		prefix := ""
		for _, seg := range key.segments {
			if seg.kind == segLiteral {
				prefix += "/" + seg.text
				continue
			}
			at := prefix + "/" + map[segmentKind]string{segParam: "{}", segGreedy: "{+}"}[seg.kind]
			if prev, ok := vars[at]; ok && prev.name != seg.text {
				out = append(out, routeConflict{i, fmt.Sprintf("variable {%s} conflicts with {%s} of routes[%d] at the same position", seg.text, prev.name, prev.index)})
				break
			}
			vars[at] = slot{seg.text, i}
			prefix = at
		}
	}
	return out
}
