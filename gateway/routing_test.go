package gateway

import (
	"bufio"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

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
		{"encoded slash is a slash", "GET", "/pets/a%2Fb", "ANY /pets/{proxy+}", map[string]any{"proxy": "a/b"}},
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

// TestStagePrefixOptional: with routing.stagePrefix optional (serve
// --no-stage-prefix) a REST stage is served under /{stage} and at the root,
// as sam local start-api serves it; required (the default) answers a path
// outside the stage as execute-api does.
func TestStagePrefixOptional(t *testing.T) {
	const fns = `
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /pets/{id}", function: echo, payload: "1.0"}]
`
	opt := startGateway(t, "api: rest\nstage: Prod\nrouting: {stagePrefix: optional}\n"+fns)
	for _, path := range []string{"/Prod/pets/7", "/pets/7"} {
		ev := echoed(t, do(t, "GET", opt.url+path, nil, ""))
		if ev["resource"] != "/pets/{id}" || ev["pathParameters"].(map[string]any)["id"] != "7" {
			t.Errorf("optional prefix, %s: resource %v parameters %v", path, ev["resource"], ev["pathParameters"])
		}
	}
	req := startGateway(t, "api: rest\nstage: Prod\n"+fns)
	if r := do(t, "GET", req.url+"/pets/7", nil, ""); r.status != 403 {
		t.Errorf("required prefix, /pets/7: %d %s, want REST's 403 for a path outside the stage", r.status, r.body)
	}
	if _, err := parseTestConfig("c.yaml", []byte("routing: {stagePrefix: maybe}\n"+fns)); err == nil || !strings.Contains(err.Error(), `routing.stagePrefix: want required or optional, got "maybe"`) {
		t.Errorf("bad stagePrefix: %v", err)
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
	if _, err := parseTestConfig("c.yaml", []byte("functions: {f: {backend: builtin, handler: echo}}\nroutes: [{route: \"GET /caf%C3%A9\", function: f}]\n")); err == nil ||
		err.Error() != `c.yaml:2:18: routes[0].route: malformed route "GET /caf%C3%A9": write the path decoded (requests are matched decoded), got "caf%C3%A9"` {
		t.Errorf("encoded route literal: %v", err)
	}
	if _, err := parseTestConfig("c.yaml", []byte("routing: {trailingSlash: loose}\nfunctions: {f: {backend: builtin, handler: echo}}\nroutes: [{route: $default, function: f}]\n")); err == nil ||
		err.Error() != `c.yaml:1:26: routing.trailingSlash: want ignore or strict, got "loose"` {
		t.Errorf("bad trailingSlash: %v", err)
	}
}

// rawDo sends method and path byte for byte over a plain TCP connection
// (no client cleans the path up first) and returns the response.
func rawDo(t *testing.T, baseURL, method, path string, headers map[string]string) *response {
	t.Helper()
	req := method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
	for k, v := range headers {
		req += k + ": " + v + "\r\n"
	}
	conn := rawSend(t, baseURL, req+"\r\n")
	defer conn.Close()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	if err := resp.Read(bufio.NewReader(conn)); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	out := &response{status: resp.StatusCode(), headers: map[string][]string{}, body: string(resp.Body())}
	for k, v := range resp.Header.All() {
		name := strings.ToLower(string(k))
		out.headers[name] = append(out.headers[name], string(v))
	}
	return out
}

// One path decides both the route and what the function is told: a
// request either reaches the route its event describes, with the event's
// path the one that chose it, or is refused. Encoded slashes are slashes;
// dot segments and empty segments are refused.
func TestPathSelectsRouteAndEvent(t *testing.T) {
	const routes = `
authorizers: {keys: {type: apikey}}
apiKeys: [{name: k, value: secret-key, usagePlan: p}]
usagePlans: {p: {}}
functions: {echo: {backend: builtin, handler: echo}}
routes:
  - {route: "GET /admin/{proxy+}", function: echo, authorizer: keys, payload: "%s"}
  - {route: "GET /echo/{proxy+}", function: echo, payload: "%s"}
  - {route: $default, function: echo, payload: "%s"}
`
	flavours := []struct {
		name, config, prefix, payload string
		denied                        int
	}{
		{"http api 2.0", "", "", "2.0", 403},
		{"http api 1.0", "", "", "1.0", 403},
		{"rest", "api: rest\nstage: dev\n", "/dev", "1.0", 403},
	}
	cases := []struct {
		name, path string
		// refused: 400 whether or not the key is given. Otherwise the
		// request must reach wantKey (and need the key for the admin
		// route), with the event's path equal to wantPath.
		refused            bool
		wantKey, wantPath  string
		wantProxy, rawPath string // rawPath: REST's path, encoding kept
	}{
		{name: "encoded slash", path: "/admin%2Fx", wantKey: "GET /admin/{proxy+}", wantPath: "/admin/x", wantProxy: "x", rawPath: "/admin%2Fx"},
		{name: "encoded slash lower case", path: "/admin%2fx%2Fy", wantKey: "GET /admin/{proxy+}", wantPath: "/admin/x/y", wantProxy: "x/y", rawPath: "/admin%2fx%2Fy"},
		{name: "encoded literal", path: "/%61dmin/x", wantKey: "GET /admin/{proxy+}", wantPath: "/admin/x", wantProxy: "x", rawPath: "/%61dmin/x"},
		{name: "plain", path: "/admin/x", wantKey: "GET /admin/{proxy+}", wantPath: "/admin/x", wantProxy: "x", rawPath: "/admin/x"},
		{name: "leading empty segment", path: "//admin/x", refused: true},
		{name: "inner empty segment", path: "/admin//x", refused: true},
		{name: "encoded empty segment", path: "/admin%2F%2Fx", refused: true},
		{name: "encoded dot dot", path: "/echo/%2e%2e/admin/x", refused: true},
		{name: "encoded dot dot and slash", path: "/echo/%2E%2E%2Fadmin%2Fx", refused: true},
		{name: "dot dot", path: "/echo/../admin/x", refused: true},
		{name: "dot", path: "/echo/./x", refused: true},
		{name: "trailing dot dot", path: "/admin/x/..", refused: true},
		{name: "not starting with a slash", path: "admin/x", refused: true},
		{name: "dots inside a segment are fine", path: "/echo/a..b/.c", wantKey: "GET /echo/{proxy+}", wantPath: "/echo/a..b/.c", wantProxy: "a..b/.c", rawPath: "/echo/a..b/.c"},
	}
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			g := startGateway(t, fl.config+fmt.Sprintf(routes, fl.payload, fl.payload, fl.payload))
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					path := fl.prefix + tc.path
					if tc.path[0] != '/' {
						path = tc.path
					}
					key := map[string]string{"x-api-key": "secret-key"}
					if tc.refused {
						for _, h := range []map[string]string{nil, key} {
							if r := rawDo(t, g.url, "GET", path, h); r.status != 400 || r.body != `{"message":"Bad Request"}` {
								t.Errorf("got %d %s, want 400 Bad Request", r.status, r.body)
							}
						}
						return
					}
					if tc.wantKey == "GET /admin/{proxy+}" {
						if r := rawDo(t, g.url, "GET", path, nil); r.status != fl.denied {
							t.Errorf("without a key: got %d %s, want %d from the admin route", r.status, r.body, fl.denied)
						}
					}
					ev := echoed(t, rawDo(t, g.url, "GET", path, key))
					gotKey := ev["routeKey"]
					if fl.payload == "1.0" {
						gotKey = "GET " + ev["resource"].(string)
					}
					if gotKey != tc.wantKey {
						t.Errorf("route: got %v, want %v", gotKey, tc.wantKey)
					}
					if p, _ := ev["pathParameters"].(map[string]any); p["proxy"] != tc.wantProxy {
						t.Errorf("proxy: got %v, want %v", p["proxy"], tc.wantProxy)
					}
					switch {
					case fl.payload == "2.0":
						rc := ev["requestContext"].(map[string]any)["http"].(map[string]any)
						if ev["rawPath"] != tc.wantPath || rc["path"] != tc.wantPath {
							t.Errorf("rawPath %v, http.path %v, want %v", ev["rawPath"], rc["path"], tc.wantPath)
						}
					case fl.config == "":
						if ev["path"] != tc.wantPath {
							t.Errorf("path %v, want %v", ev["path"], tc.wantPath)
						}
					default:
						// REST keeps the path's encoding; decoded once it is
						// the path that chose the route.
						if ev["path"] != tc.rawPath {
							t.Errorf("path %v, want %v", ev["path"], tc.rawPath)
						}
						if decoded, err := url.PathUnescape(ev["path"].(string)); err != nil || decoded != tc.wantPath {
							t.Errorf("path %v decodes to %q (%v), want %v", ev["path"], decoded, err, tc.wantPath)
						}
					}
				})
			}
		})
	}
}
