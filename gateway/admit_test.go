package gateway

import (
	"strings"
	"testing"
)

// TestMalformedRequestsRefused checks what fasthttp parses but API Gateway
// would refuse gets a 400 and reaches no function.
func TestMalformedRequestsRefused(t *testing.T) {
	g := startGateway(t, `
functions: {echo: {backend: builtin, handler: echo}}
routes:
  - {route: "ANY /echo/{proxy+}", function: echo}
  - {route: "$default", function: echo}
`)
	addr := strings.TrimPrefix(g.url, "http://")
	cases := []struct{ name, raw, want string }{
		{"origin form", "GET /echo/anything HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "200"},
		{"CONNECT", "CONNECT xecho/anything HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"CONNECT authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "400"},
		{"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"absolute form", "GET http://other/echo/x HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"header name with a space", "GET /echo/x HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n", "400"},
		{"header name with a slash", "GET /echo/x HTTP/1.1\r\nHost: x\r\nBad/Name: x\r\n\r\n", "400"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := rawExchange(t, addr, tc.raw)
			if !strings.HasPrefix(got, "HTTP/1.1 "+tc.want+" ") {
				t.Fatalf("got %q, want %s", got, tc.want)
			}
			if tc.want == "400" && !strings.HasSuffix(got, "\r\n\r\n"+`{"message":"Bad Request"}`) {
				t.Errorf("got %q, want the 400 body", got)
			}
		})
	}
}

// TestFunctionHeaderControlCharacters checks a control character in a
// function's header value never reaches the client: the result is
// malformed, as a name that is not a token is.
func TestFunctionHeaderControlCharacters(t *testing.T) {
	g := startGateway(t, `
functions:
  nul: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {x-evil: "a\0b"}, body: "x"}}
  ctl: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {x-evil: "a\x01b"}, body: "x"}}
  cookie: {backend: builtin, handler: mock, response: {statusCode: 200, cookies: ["a=\0b"], body: "x"}}
routes:
  - {route: "GET /nul", function: nul}
  - {route: "GET /ctl", function: ctl}
  - {route: "GET /cookie", function: cookie}
`)
	addr := strings.TrimPrefix(g.url, "http://")
	for _, path := range []string{"/nul", "/ctl", "/cookie"} {
		got := rawExchange(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if strings.ContainsAny(got, "\x00\x01") {
			t.Errorf("%s: a control character reached the client: %q", path, got)
		}
		if !strings.HasPrefix(got, "HTTP/1.1 500 ") {
			t.Errorf("%s: got %q, want the 500 of a malformed result", path, got)
		}
	}
}
