package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit/jwkstest"
)

// jwksServer is the kit's JWKS server and the one RSA key it serves.
type jwksServer struct {
	url string
	key jwkstest.Key
}

func startJWKS(t testing.TB) *jwksServer {
	t.Helper()
	key, err := jwkstest.NewRSAKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := jwkstest.Start(key.JWK())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &jwksServer{url: srv.JWKSURL(), key: key}
}

func (s *jwksServer) token(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := s.key.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWTAuthorizer(t *testing.T) {
	js := startJWKS(t)
	g := startGateway(t, `
authorizers:
  users: {type: jwt, issuer: "https://id.example.com/", audience: [api], jwksUri: "`+js.url+`"}
functions: {echo: {backend: builtin, handler: echo}}
routes:
  - {route: "GET /me", function: echo, authorizer: users, scopes: ["profile:read"]}
  - {route: "GET /v1/me", function: echo, authorizer: users, payload: "1.0"}
`)
	now := time.Now().Unix()
	good := js.token(t, map[string]any{"iss": "https://id.example.com/", "aud": "api", "sub": "ann", "exp": now + 60, "iat": now, "scope": "profile:read email"})
	ev := echoed(t, do(t, "GET", g.url+"/me", map[string]string{"Authorization": "Bearer " + good}, ""))
	claims := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["jwt"].(map[string]any)["claims"].(map[string]any)
	if claims["sub"] != "ann" {
		t.Errorf("2.0 jwt claims: %v", claims)
	}
	v1 := echoed(t, do(t, "GET", g.url+"/v1/me", map[string]string{"Authorization": good}, ""))
	if c := v1["requestContext"].(map[string]any)["authorizer"].(map[string]any)["claims"].(map[string]any); c["sub"] != "ann" {
		t.Errorf("1.0 jwt claims: %v", c)
	}

	r := do(t, "GET", g.url+"/me", nil, "")
	if r.status != 401 || r.body != `{"message":"Unauthorized"}` || r.header("www-authenticate") == "" {
		t.Errorf("no token: %d %s www-authenticate %q", r.status, r.body, r.header("www-authenticate"))
	}
	noScope := js.token(t, map[string]any{"iss": "https://id.example.com/", "aud": "api", "sub": "ann", "exp": now + 60, "scope": "email"})
	r = do(t, "GET", g.url+"/me", map[string]string{"Authorization": "Bearer " + noScope}, "")
	if r.status != 403 || r.body != `{"message":"Forbidden"}` || !strings.Contains(r.header("www-authenticate"), "insufficient_scope") {
		t.Errorf("missing scope: %d %s %q", r.status, r.body, r.header("www-authenticate"))
	}
	expired := js.token(t, map[string]any{"iss": "https://id.example.com/", "aud": "api", "sub": "ann", "exp": now - 60, "scope": "profile:read"})
	if r := do(t, "GET", g.url+"/me", map[string]string{"Authorization": "Bearer " + expired}, ""); r.status != 401 {
		t.Errorf("expired token: %d", r.status)
	}
}

func TestLambdaAuthorizers(t *testing.T) {
	g := startGateway(t, `
authorizers:
  allow: {type: lambda, function: yes, simpleResponses: true, identitySource: ["$request.header.X-Token"]}
  deny: {type: lambda, function: no, simpleResponses: true, identitySource: ["$request.header.X-Token"]}
functions:
  echo: {backend: builtin, handler: echo}
  yes: {backend: builtin, handler: mock, response: {isAuthorized: true, context: {user: ann, tier: 3}}}
  no: {backend: builtin, handler: mock, response: {isAuthorized: false}}
routes:
  - {route: "GET /allow", function: echo, authorizer: allow}
  - {route: "GET /deny", function: echo, authorizer: deny}
`)
	ev := echoed(t, do(t, "GET", g.url+"/allow", map[string]string{"X-Token": "t"}, ""))
	lambda := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["lambda"].(map[string]any)
	if lambda["user"] != "ann" {
		t.Errorf("context did not reach the event: %v", lambda)
	}
	if r := do(t, "GET", g.url+"/allow", nil, ""); r.status != 401 {
		t.Errorf("missing identity source: %d", r.status)
	}
	if r := do(t, "GET", g.url+"/deny", map[string]string{"X-Token": "t"}, ""); r.status != 403 || r.body != `{"message":"Forbidden"}` {
		t.Errorf("deny: %d %s", r.status, r.body)
	}
}

func TestRESTPolicyAuthorizer(t *testing.T) {
	g := startGateway(t, `
api: rest
stage: dev
authorizers:
  policy: {type: lambda, function: pol, identitySource: ["method.request.header.X-Token"]}
functions:
  echo: {backend: builtin, handler: echo}
  pol:
    backend: builtin
    handler: mock
    response:
      principalId: ann
      policyDocument:
        Version: "2012-10-17"
        Statement:
          - {Action: "execute-api:Invoke", Effect: Allow, Resource: "arn:aws:execute-api:*:*:*/dev/GET/pets/*"}
          - {Action: "execute-api:Invoke", Effect: Deny, Resource: "arn:aws:execute-api:*:*:*/dev/GET/pets/secret"}
      context: {role: admin}
routes:
  - {route: "GET /pets/{id}", function: echo, authorizer: policy}
  - {route: "GET /cats", function: echo, authorizer: policy}
`)
	ev := echoed(t, do(t, "GET", g.url+"/dev/pets/1", map[string]string{"X-Token": "t"}, ""))
	a := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)
	if a["principalId"] != "ann" || a["role"] != "admin" {
		t.Errorf("REST authorizer context: %v", a)
	}
	// The policy sees the decoded path that chose the route, so an encoded
	// spelling of the denied path is denied too.
	for _, path := range []string{"/dev/pets/secret", "/dev/pets/%73ecret", "/dev/pets/%73%65cret"} {
		r := do(t, "GET", g.url+path, map[string]string{"X-Token": "t"}, "")
		if r.status != 403 || r.body != `{"Message":"User is not authorized to access this resource with an explicit deny"}` || r.header("x-amzn-ErrorType") != "AccessDeniedException" {
			t.Errorf("explicit deny of %s: %d %s %q", path, r.status, r.body, r.header("x-amzn-ErrorType"))
		}
	}
	r := do(t, "GET", g.url+"/dev/cats", map[string]string{"X-Token": "t"}, "")
	if r.status != 403 || r.body != `{"Message":"User is not authorized to access this resource"}` {
		t.Errorf("implicit deny: %d %s", r.status, r.body)
	}
	r = do(t, "GET", g.url+"/dev/pets/1", nil, "")
	if r.status != 401 || r.header("x-amzn-ErrorType") != "UnauthorizedException" {
		t.Errorf("no token: %d %q", r.status, r.header("x-amzn-ErrorType"))
	}
}

func TestAPIKeysAndUsagePlans(t *testing.T) {
	g := startGateway(t, `
api: rest
stage: dev
authorizers: {keys: {type: apikey}}
apiKeys:
  - {name: partner-a, value: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", usagePlan: small}
  - {name: partner-b, value: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", usagePlan: big}
usagePlans:
  small: {quota: {limit: 2, period: day}}
  big: {quota: {limit: 100, period: day}}
functions: {echo: {backend: builtin, handler: echo}}
routes:
  - {route: "GET /partner", function: echo, authorizer: keys}
`)
	a := map[string]string{"x-api-key": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
	ev := echoed(t, do(t, "GET", g.url+"/dev/partner", a, ""))
	if id := ev["requestContext"].(map[string]any)["identity"].(map[string]any); id["apiKey"] != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" || id["apiKeyId"] == nil {
		t.Errorf("identity: %v", id)
	}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		body    string
	}{
		{"missing key", nil, 403, `{"message":"Forbidden"}`},
		{"wrong key", map[string]string{"x-api-key": "nope"}, 403, `{"message":"Forbidden"}`},
		{"second request within quota", a, 200, ""},
		{"over quota", a, 429, `{"message":"Limit Exceeded"}`},
		{"another key has its own plan", map[string]string{"x-api-key": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, 200, ""},
	} {
		r := do(t, "GET", g.url+"/dev/partner", tc.headers, "")
		if r.status != tc.status || (tc.body != "" && r.body != tc.body) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
}
