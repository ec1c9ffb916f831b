package gateway

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkHandlerAuth is the handler's own cost (no sockets) on an open
// route, a JWT route (RS256, a token seen before) and an API-key route,
// with the requests `portico bench --scenario auth` sends: the difference
// is what an authorizer costs per request.
func BenchmarkHandlerAuth(b *testing.B) {
	js := startJWKS(b)
	g := loadTestGateway(b, `
log: {access: false}
authorizers:
  users: {type: jwt, issuer: "https://id.example.com/", audience: [api], jwksUri: "`+js.url+`"}
  keys: {type: apikey}
apiKeys: [{name: bench, value: "benchbenchbenchbenchbench"}]
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {Content-Type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /open", function: hello}
  - {route: "GET /jwt", function: hello, authorizer: users, scopes: [read]}
  - {route: "GET /key", function: hello, authorizer: keys}
`)
	b.Cleanup(func() { g.Close() })
	now := time.Now()
	tok := js.token(b, map[string]any{"iss": "https://id.example.com/", "aud": "api", "sub": "bench", "scope": "read",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	for _, tc := range []struct{ name, raw string }{
		{"open", "GET /open HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fasthttp\r\n\r\n"},
		{"jwt", "GET /jwt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fasthttp\r\nAuthorization: Bearer " + tok + "\r\n\r\n"},
		{"apikey", "GET /key HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fasthttp\r\nx-api-key: benchbenchbenchbenchbench\r\n\r\n"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var req fasthttp.Request
			req.Header.DisableNormalizing()
			if err := req.Read(bufio.NewReader(strings.NewReader(tc.raw))); err != nil {
				b.Fatal(err)
			}
			ctx := new(fasthttp.RequestCtx)
			ctx.Init(&req, nil, nil)
			g.handle(ctx)
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				g.handle(ctx)
			}
		})
	}
}
