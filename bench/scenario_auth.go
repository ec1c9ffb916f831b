package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
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
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "bench", Algorithm: "RS256", Use: "sig"}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(set) //nolint:errcheck
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck
	s.cleanup = append(s.cleanup, func() { srv.Close() })
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "bench").WithType("JWT"))
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	token, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": "https://id.example.com/", "aud": "api", "sub": "bench", "scope": "read",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).Serialize()
	return "http://" + ln.Addr().String() + "/jwks.json", token, err
}
