package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/internal/testkit/jwkstest"
)

// runAuth compares an open route with a JWT-protected one (RS256, a token
// the gateway has verified before) and an API-key route.
func runAuth(ctx context.Context, s *session) error {
	jwksURL, token, err := s.jwks()
	if err != nil {
		return err
	}
	gws, err := s.gateways("auth", fmt.Sprintf(`
authorizers:
  users: {type: jwt, issuer: "https://id.example.com/", audience: [api], jwksUri: %q}
  keys: {type: apikey}
apiKeys:
  - {name: bench, value: "benchbenchbenchbenchbench"}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {Content-Type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /open", function: hello}
  - {route: "GET /jwt", function: hello, authorizer: users, scopes: [read]}
  - {route: "GET /key", function: hello, authorizer: keys}
`, jwksURL))
	if err != nil {
		return err
	}
	var rows []row
	for _, g := range gws {
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "open route", url: "/open"})...)
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "jwt route", url: "/jwt", headers: map[string]string{"Authorization": "Bearer " + token}})...)
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "api-key route", url: "/key", headers: map[string]string{"x-api-key": "benchbenchbenchbenchbench"}})...)
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, g := range gws {
		s.ratio("jwt / open"+g.suffix+" (req/s)", res["jwt route"+g.suffix], res["open route"+g.suffix], throughput)
		s.ratio("api key / open"+g.suffix+" (req/s)", res["api-key route"+g.suffix], res["open route"+g.suffix], throughput)
		s.cpuRatio("jwt / open"+g.suffix, res["jwt route"+g.suffix], res["open route"+g.suffix])
		s.cpuRatio("api key / open"+g.suffix, res["api-key route"+g.suffix], res["open route"+g.suffix])
	}
	return nil
}

// jwks serves a fresh RSA key's JWKS from this process and returns its URL
// and a token signed with the key, valid for an hour.
func (s *session) jwks() (string, string, error) {
	key, err := jwkstest.NewRSAKey("bench")
	if err != nil {
		return "", "", err
	}
	srv, err := jwkstest.Start(key.JWK())
	if err != nil {
		return "", "", err
	}
	s.cleanup = append(s.cleanup, srv.Close)
	now := time.Now()
	token, err := key.Sign(map[string]any{
		"iss": "https://id.example.com/", "aud": "api", "sub": "bench", "scope": "read",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	return srv.JWKSURL(), token, err
}
