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
	gw, err := s.gateway("auth", fmt.Sprintf(`
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
	res, err := s.measure(ctx, []row{
		{name: "open route", url: gw + "/open"},
		{name: "jwt route", url: gw + "/jwt", headers: map[string]string{"Authorization": "Bearer " + token}},
		{name: "api-key route", url: gw + "/key", headers: map[string]string{"x-api-key": "benchbenchbenchbenchbench"}},
	})
	if err != nil {
		return err
	}
	s.ratio("jwt / open (req/s)", res["jwt route"], res["open route"], throughput)
	s.ratio("api key / open (req/s)", res["api-key route"], res["open route"], throughput)
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
