package gateway

import "testing"

const routingConfig = `
functions:
  echo: {backend: builtin, handler: echo}
routes:
  - {route: "GET /pets/dog/1", function: echo}
  - {route: "GET /pets/dog/{id}", function: echo}
  - {route: "ANY /pets/dog", function: echo}
  - {route: "GET /pets/{id}", function: echo}
  - {route: "POST /pets/{id}", function: echo}
  - {route: "ANY /pets/{proxy+}", function: echo}
  - {route: "GET /", function: echo}
  - {route: "GET /caf\u00e9", function: echo}
  - {route: $default, function: echo}
`

func TestRoutingPrecedence(t *testing.T) {
	g := startGateway(t, routingConfig)
	cases := []struct {
		name, method, path string
		wantKey            string
		wantParams         map[string]any
	}{
		{"literal beats variable", "GET", "/pets/dog/1", "GET /pets/dog/1", nil},
		{"variable", "GET", "/pets/dog/2", "GET /pets/dog/{id}", map[string]any{"id": "2"}},
		{"literal path with ANY beats variable path with the method", "GET", "/pets/dog", "ANY /pets/dog", nil},
		{"method on a variable path", "POST", "/pets/cat", "POST /pets/{id}", map[string]any{"id": "cat"}},
		{"undefined method backtracks to greedy", "DELETE", "/pets/cat", "ANY /pets/{proxy+}", map[string]any{"proxy": "cat"}},
		{"greedy takes the rest", "GET", "/pets/a/b/c", "ANY /pets/{proxy+}", map[string]any{"proxy": "a/b/c"}},
		{"greedy needs a segment", "GET", "/pets", "$default", nil},
		{"trailing slash is ignored", "GET", "/pets/dog/", "ANY /pets/dog", nil},
		{"root", "GET", "/", "GET /", nil},
		{"root with another method", "POST", "/", "$default", nil},
		{"unknown path", "GET", "/nowhere", "$default", nil},
		{"encoded literal", "GET", "/caf%C3%A9", "GET /café", nil},
		{"variable is decoded", "GET", "/pets/a%20b", "GET /pets/{id}", map[string]any{"id": "a b"}},
		{"encoded slash stays in one segment", "GET", "/pets/a%2Fb", "GET /pets/{id}", map[string]any{"id": "a/b"}},
		{"paths are case sensitive", "GET", "/PETS/dog", "$default", nil},
		{"unknown method goes to ANY", "PROPFIND", "/pets/dog", "ANY /pets/dog", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := echoed(t, do(t, tc.method, g.url+tc.path, nil, ""))
			if got := ev["routeKey"]; got != tc.wantKey {
				t.Errorf("routeKey: got %v, want %v", got, tc.wantKey)
			}
			got, _ := ev["pathParameters"].(map[string]any)
			if len(got) != len(tc.wantParams) {
				t.Fatalf("pathParameters: got %v, want %v", got, tc.wantParams)
			}
			for k, v := range tc.wantParams {
				if got[k] != v {
					t.Errorf("pathParameters[%s]: got %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	cases := []struct {
		name, config, path string
		status             int
		body, errorType    string
	}{
		{"http api", `
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /a", function: echo}]
`, "/b", 404, `{"message":"Not Found"}`, ""},
		{"rest api", `
api: rest
stage: dev
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /a", function: echo}]
`, "/dev/b", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
		{"rest api without the stage", `
api: rest
stage: dev
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /a", function: echo}]
`, "/a", 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
		{"named stage on an http api", `
stage: beta
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "$default", function: echo}]
`, "/gamma/a", 404, `{"message":"Not Found"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, tc.config)
			r := do(t, "GET", g.url+tc.path, nil, "")
			if r.status != tc.status || r.body != tc.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.body)
			}
			if got := r.header("content-type"); got != "application/json" {
				t.Errorf("content-type: got %q", got)
			}
			if got := r.header("x-amzn-ErrorType"); got != tc.errorType {
				t.Errorf("x-amzn-ErrorType: got %q, want %q", got, tc.errorType)
			}
		})
	}
}

func TestStagePrefix(t *testing.T) {
	g := startGateway(t, `
stage: beta
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /pets/{id}", function: echo}]
`)
	ev := echoed(t, do(t, "GET", g.url+"/beta/pets/7", nil, ""))
	if ev["rawPath"] != "/beta/pets/7" {
		t.Errorf("rawPath: got %v, want the stage segment in front", ev["rawPath"])
	}
	rc := ev["requestContext"].(map[string]any)
	if rc["stage"] != "beta" {
		t.Errorf("stage: got %v", rc["stage"])
	}
}

func TestRoutingOptions(t *testing.T) {
	g := startGateway(t, `
routing: {trailingSlash: strict, greedyMatchesRoot: true}
functions:
  echo: {backend: builtin, handler: echo}
routes:
  - {route: "GET /pets", function: echo}
  - {route: "ANY /{proxy+}", function: echo}
`)
	ev := echoed(t, do(t, "GET", g.url+"/", nil, ""))
	if ev["routeKey"] != "ANY /{proxy+}" {
		t.Errorf("greedyMatchesRoot: / went to %v", ev["routeKey"])
	}
	if p := ev["pathParameters"].(map[string]any); p["proxy"] != "" {
		t.Errorf("proxy for /: %v", p)
	}
	ev = echoed(t, do(t, "GET", g.url+"/pets/", nil, ""))
	if ev["routeKey"] != "ANY /{proxy+}" {
		t.Errorf("strict trailing slash: /pets/ went to %v, want the greedy route", ev["routeKey"])
	}
	ev = echoed(t, do(t, "GET", g.url+"/pets", nil, ""))
	if ev["routeKey"] != "GET /pets" {
		t.Errorf("/pets went to %v", ev["routeKey"])
	}
	if _, err := ParseConfig("c.yaml", []byte("routing: {trailingSlash: loose}\nfunctions: {f: {backend: builtin, handler: echo}}\nroutes: [{route: $default, function: f}]\n"), nil); err == nil ||
		err.Error() != `c.yaml:1:26: routing.trailingSlash: want ignore or strict, got "loose"` {
		t.Errorf("bad trailingSlash: %v", err)
	}
}
