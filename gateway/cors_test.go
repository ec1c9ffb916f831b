package gateway

import "testing"

func TestCORS(t *testing.T) {
	g := startGateway(t, `
cors:
  allowOrigins: ["https://app.example.com", "http://*"]
  allowMethods: [GET, POST]
  allowHeaders: [authorization, content-type]
  exposeHeaders: [x-request-id]
  maxAge: 300
functions:
  f: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {Access-Control-Allow-Origin: "https://evil.example", access-control-max-age: "9"}, body: ok}}
routes:
  - {route: "ANY /things", function: f}
  - {route: "OPTIONS /own", function: f}
`)
	preflight := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
	cases := []struct {
		name, method, path string
		headers            map[string]string
		status             int
		want               map[string]string // "" means absent
	}{
		{"preflight on an ANY route", "OPTIONS", "/things", preflight, 204, map[string]string{
			"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, POST",
			"Access-Control-Allow-Headers": "authorization, content-type", "Access-Control-Max-Age": "300", "Vary": "Origin"}},
		{"preflight without a route", "OPTIONS", "/nowhere", preflight, 204, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
		{"preflight from a disallowed origin", "OPTIONS", "/things", map[string]string{"Origin": "https://other.example", "Access-Control-Request-Method": "GET"}, 204,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}},
		{"scheme wildcard", "OPTIONS", "/things", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}, 204,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:3000"}},
		{"an OPTIONS route handles its preflight", "OPTIONS", "/own", preflight, 200, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com",
			"Access-Control-Max-Age": "300", "Access-Control-Allow-Methods": "GET, POST"}},
		{"simple request: function's CORS headers replaced", "GET", "/things", map[string]string{"Origin": "https://app.example.com"}, 200,
			map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Expose-Headers": "x-request-id", "Access-Control-Max-Age": ""}},
		{"no Origin: response untouched", "GET", "/things", nil, 200, map[string]string{"Access-Control-Allow-Origin": "https://evil.example"}},
		{"disallowed origin: function's CORS headers dropped", "GET", "/things", map[string]string{"Origin": "https://other.example"}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, g.url+tc.path, tc.headers, "")
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			for k, want := range tc.want {
				if got := r.header(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCORSConfigErrors(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"cors: {allowOrigins: [\"*\"], allowCredentials: true}", `c.yaml:1:23: cors.allowOrigins[0]: "*" cannot be combined with allowCredentials: list the origins`},
		{"cors: {allowOrigins: [\"https://a.example\", \"https://*\"], allowCredentials: true}", `c.yaml:1:44: cors.allowOrigins[1]: "https://*" cannot be combined with allowCredentials: list the origins`},
		{"cors: {allowOrigins: [example.com]}", `c.yaml:1:23: cors.allowOrigins[0]: want an origin such as "https://app.example.com", "https://*" or "*", got "example.com"`},
		{"cors: {allowOrigins: [\"*\"], maxAge: 90000}", `c.yaml:1:37: cors.maxAge: want -1 to 86400 seconds, got 90000`},
		{"api: rest\nstage: dev\ncors: {allowOrigins: [\"*\"]}", `c.yaml:3:7: cors: REST APIs have no built-in CORS: add an OPTIONS route (e.g. a mock function) and return the headers from functions`},
	} {
		_, err := parseTestConfig("c.yaml", []byte(tc.config+"\nfunctions: {f: {backend: builtin, handler: echo}}\nroutes: [{route: $default, function: f, payload: \"1.0\"}]\n"))
		if err == nil || err.Error() != tc.want {
			t.Errorf("got  %v\nwant %s", err, tc.want)
		}
	}
}
