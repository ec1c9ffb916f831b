package gateway

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseRouteKey checks that parsing never panics and that an accepted
// key prints back as written, with segments that rebuild its path.
func FuzzParseRouteKey(f *testing.F) {
	for _, s := range []string{
		"$default", "GET /", "ANY /{proxy+}", "GET /pets/{id}", "POST /pets/{id}/toys/{toy+}",
		"GET /caf\u00e9", "GET /a%2Fb", "GET /a%", "get /x", "GET", "GET ", "GET x", "GET /x/", "GET //x",
		"GET /{a}/{a}", "GET /{p+}/x", "GET /{}", "GET /a{b}", "PATCH /{a.b-c_d}", " $default",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseRouteKey(s)
		if err != nil {
			return
		}
		if key.String() != s {
			t.Fatalf("%q prints back as %q", s, key.String())
		}
		if key.isDefault {
			return
		}
		var b strings.Builder
		for i, seg := range key.segments {
			b.WriteByte('/')
			switch seg.kind {
			case segLiteral:
				b.WriteString(seg.text)
			case segParam:
				b.WriteString("{" + seg.text + "}")
			case segGreedy:
				if i != len(key.segments)-1 {
					t.Fatalf("%q: greedy segment %d is not last", s, i)
				}
				b.WriteString("{" + seg.text + "+}")
			}
		}
		if rebuilt := b.String(); rebuilt != key.path && !(rebuilt == "" && key.path == "/") {
			t.Fatalf("%q: segments rebuild %q", s, rebuilt)
		}
	})
}

// fuzzRouteKeys is the table FuzzRouteLookup matches against.
var fuzzRouteKeys = []string{
	"GET /pets/dog/1", "GET /pets/dog/{id}", "ANY /pets/dog", "GET /pets/{id}", "POST /pets/{id}",
	"ANY /pets/{proxy+}", "GET /", "GET /admin/{proxy+}", "GET /echo/{proxy+}", "GET /caf\u00e9", "$default",
}

// FuzzRouteLookup sends raw request paths through the path rule and the
// route table. A path the rule accepts has no empty or dot segment, and
// the route it reaches, with the parameters filled in, spells that same
// path: a request never reaches a route its path does not describe.
func FuzzRouteLookup(f *testing.F) {
	for _, s := range []string{
		"/", "/pets/dog/1", "/pets/a%2Fb", "/admin%2Fx", "//admin/x", "/echo/%2e%2e/admin/x", "/pets/dog/",
		"/caf%C3%A9", "/pets/%", "/pets/%zz/%2", "admin", "", "/a/./b", "/a/..", "/%2F", "/pets/a%00b",
	} {
		f.Add("GET", []byte(s))
		f.Add("DELETE", []byte(s))
	}
	table := newRouteTable(RoutingConfig{})
	for _, k := range fuzzRouteKeys {
		key, err := parseRouteKey(k)
		if err != nil {
			f.Fatal(err)
		}
		table.add(key, &route{key: k})
	}
	f.Fuzz(func(t *testing.T, method string, raw []byte) {
		path, ok := appendRequestPath(nil, raw)
		if !ok {
			return
		}
		if path[0] != '/' || bytes.Contains(path, []byte("//")) {
			t.Fatalf("%q accepted as %q", raw, path)
		}
		for _, seg := range bytes.Split(path[1:], []byte("/")) {
			if isDotSegment(seg) {
				t.Fatalf("%q accepted with a dot segment: %q", raw, path)
			}
		}
		r, params := table.lookup([]byte(method), path, nil)
		if r == nil {
			t.Fatalf("%q: no route, but there is a $default", path)
		}
		key, _ := parseRouteKey(r.key)
		if key.isDefault {
			return
		}
		var b []byte
		next := 0
		for _, seg := range key.segments {
			b = append(b, '/')
			if seg.kind == segLiteral {
				b = append(b, seg.text...)
				continue
			}
			if next >= len(params) || params[next].Name != seg.text {
				t.Fatalf("%q: route %s got parameters %v", path, r.key, params)
			}
			b = append(b, params[next].Value...)
			next++
		}
		if len(b) == 0 {
			b = []byte{'/'}
		}
		// A single trailing slash is ignored when matching.
		if !bytes.Equal(b, path) && !bytes.Equal(append(b, '/'), path) {
			t.Fatalf("%q reached %s, which spells %q", path, r.key, b)
		}
	})
}
