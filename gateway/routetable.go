package gateway

import (
	"bytes"

	"github.com/portico/portico/mapping"
)

// routeTable matches requests to routes with API Gateway's precedence: the
// most specific path wins (a literal segment over a {variable} over a
// greedy {variable+}), and on that path an explicit method wins over ANY;
// when the most specific path has neither, matching backtracks to the next
// most specific path; $default catches the rest.
//
// fasthttp/router is not used for this table: it picks a route by method
// before path (GET /pets/{id} would beat ANY /pets/dog for GET /pets/dog)
// and does not backtrack, so it cannot give API Gateway's answer. The table
// is built once per config and is read-only while serving.
type routeTable struct {
	root     *node
	fallback *route // the $default route, or nil
	// strictSlash: /pets/ does not match GET /pets (routing.trailingSlash).
	strictSlash bool
	// greedyRoot: /{proxy+} matches / too (routing.greedyMatchesRoot).
	greedyRoot bool
}

type node struct {
	literals   map[string]*node
	param      *node
	paramName  string
	greedy     *methodSet
	greedyName string
	here       *methodSet
}

// methodSet holds the routes of one path template.
type methodSet struct {
	byMethod [len(knownMethods)]*route
	any      *route
}

var knownMethods = [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func methodIndex(m []byte) int {
	for i, k := range knownMethods {
		if string(m) == k {
			return i
		}
	}
	return -1
}

func (s *methodSet) pick(idx int) *route {
	if s == nil {
		return nil
	}
	if idx >= 0 && s.byMethod[idx] != nil {
		return s.byMethod[idx]
	}
	return s.any
}

func (s *methodSet) set(method string, r *route) {
	if method == "ANY" {
		s.any = r
		return
	}
	s.byMethod[methodIndex([]byte(method))] = r
}

func newRouteTable(rc RoutingConfig) *routeTable {
	return &routeTable{root: &node{}, strictSlash: rc.TrailingSlash == "strict", greedyRoot: rc.GreedyMatchesRoot}
}

// add inserts a route; keys were validated and conflicts ruled out.
func (t *routeTable) add(key routeKey, r *route) {
	if key.isDefault {
		t.fallback = r
		return
	}
	n := t.root
	for _, seg := range key.segments {
		switch seg.kind {
		case segLiteral:
			if n.literals == nil {
				n.literals = map[string]*node{}
			}
			child := n.literals[seg.text]
			if child == nil {
				child = &node{}
				n.literals[seg.text] = child
			}
			n = child
		case segParam:
			if n.param == nil {
				n.param = &node{}
				n.paramName = seg.text
			}
			n = n.param
		case segGreedy:
			if n.greedy == nil {
				n.greedy = &methodSet{}
				n.greedyName = seg.text
			}
			n.greedy.set(key.method, r)
			return
		}
	}
	if n.here == nil {
		n.here = &methodSet{}
	}
	n.here.set(key.method, r)
}

// lookup returns the route for method and path (from appendRequestPath,
// stage removed) and appends the route's path parameters, as slices of
// path, to params. It returns nil when nothing matches and there is no
// $default.
func (t *routeTable) lookup(method, path []byte, params []mapping.Param) (*route, []mapping.Param) {
	idx := methodIndex(method)
	if r, ps := t.match(t.root, idx, path, params, true); r != nil {
		return r, ps
	}
	return t.fallback, params
}

// match matches rest (empty, or starting with '/') below n.
func (t *routeTable) match(n *node, idx int, rest []byte, params []mapping.Param, root bool) (*route, []mapping.Param) {
	// A single trailing slash is ignored unless strict: /pets/ matches GET /pets.
	if len(rest) == 0 || (len(rest) == 1 && ((!root && !t.strictSlash) || (root && n.here != nil))) {
		if r := n.here.pick(idx); r != nil {
			return r, params
		}
		if len(rest) == 0 {
			return nil, params
		}
	}
	seg := rest[1:]
	next := []byte(nil)
	if i := bytes.IndexByte(seg, '/'); i >= 0 {
		seg, next = seg[:i], seg[i:]
	}
	if n.literals != nil {
		if child := n.literals[string(seg)]; child != nil {
			if r, ps := t.match(child, idx, next, params, false); r != nil {
				return r, ps
			}
		}
	}
	if n.param != nil && len(seg) > 0 {
		mark := len(params)
		if r, ps := t.match(n.param, idx, next, append(params, mapping.Param{Name: n.paramName, Value: seg}), false); r != nil {
			return r, ps
		}
		params = params[:mark]
	}
	if n.greedy != nil && (len(rest) > 1 || (root && t.greedyRoot && len(rest) == 1)) {
		if r := n.greedy.pick(idx); r != nil {
			return r, append(params, mapping.Param{Name: n.greedyName, Value: rest[1:]})
		}
	}
	return nil, params
}

// appendRequestPath appends raw (a request path as received) percent-decoded
// once: the one path that both selects the route and is the path the event
// shows (REST shows raw, which decodes to it). An encoded slash is a slash,
// as on API Gateway, so it separates segments like any other.
//
// It reports false for a path the gateway refuses with 400, judged after
// decoding: one not starting with '/', with an empty segment (//), or with
// a "." or ".." segment. A function or framework that cleans such a path
// would see another path than the one that chose the route; refusing them
// leaves nothing to clean. A single trailing slash is allowed (see
// routing.trailingSlash).
func appendRequestPath(dst, raw []byte) ([]byte, bool) {
	start := len(dst)
	dst = mapping.AppendUnescaped(dst, raw, false)
	p := dst[start:]
	if len(p) == 0 || p[0] != '/' {
		return dst, false
	}
	for rest := p[1:]; ; {
		seg, next, more := bytes.Cut(rest, []byte{'/'})
		if isDotSegment(seg) || (more && len(seg) == 0) {
			return dst, false
		}
		if !more {
			return dst, true
		}
		rest = next
	}
}

func isDotSegment(seg []byte) bool {
	return string(seg) == "." || string(seg) == ".."
}
