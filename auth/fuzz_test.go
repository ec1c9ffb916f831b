package auth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
)

// FuzzParseToken feeds arbitrary Authorization values to a jwt authorizer
// whose JWKS holds a key of each type. Nothing the fuzzer can make is signed
// by those keys, so nothing may be accepted, and nothing may panic. The
// seeds are validly signed tokens that fail a claim check, and the classic
// forgeries.
func FuzzParseToken(f *testing.F) {
	fx := newJWTFixtureF(f)
	a, err := fx.set.ForRoute("users", []string{"profile:read"}, "GET /me")
	if err != nil {
		f.Fatal(err)
	}
	now := fx.clock.Now().Unix()
	der, _ := x509.MarshalPKIXPublicKey(&key("rsa1").(*rsa.PrivateKey).PublicKey)
	for _, tok := range []string{
		mint(f, "rsa1", jose.RS256, "rs", fx.claims("exp", now-1)),
		mint(f, "rsa1", jose.PS256, "rs", fx.claims("aud", "other")),
		mint(f, "p256", jose.ES256, "es256", fx.claims("iss", "x")),
		mint(f, "ed", jose.EdDSA, "ed", fx.claims("nbf", now+100)),
		mint(f, "p521", jose.ES512, "es512", fx.claims("scope", "none")), // valid, but not for the route's scope
		mint(f, "rsa2", jose.RS256, "rs", fx.claims()),
		mint(f, "", jose.HS256, "rs", with(fx.claims(), "__secret", der)),
		unsigned(map[string]any{"alg": "none", "kid": "rs"}, fx.claims(), ""),
		unsigned(map[string]any{"alg": "RS256", "kid": "rs", "crit": []string{"exp"}}, fx.claims(), "AAAA"),
		"Bearer ", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "....", "Bearer \x00",
	} {
		f.Add(tok)
		f.Add("Bearer " + tok)
	}
	f.Fuzz(func(t *testing.T, authz string) {
		req := request(map[string]string{"Authorization": authz}, nil)
		res, err := a.Authenticate(context.Background(), req)
		if err == nil {
			t.Fatalf("accepted %q: %s", authz, res.AuthorizerV2)
		}
		e, ok := err.(*Error)
		if !ok || (e.Kind != KindUnauthorized && e.Kind != KindInsufficientScope) {
			t.Fatalf("got %T %v", err, err)
		}
		if !strings.HasPrefix(e.WWWAuthenticate, `Bearer `) || strings.ContainsAny(e.WWWAuthenticate, "\r\n") {
			t.Fatalf("www-authenticate %q", e.WWWAuthenticate)
		}
	})
}

// newJWTFixtureF is newJWTFixture for a fuzz target.
func newJWTFixtureF(f *testing.F) *jwtFixture {
	fx := &jwtFixture{clock: newClock(), srv: newJWKSServer(f, allKeys()...)}
	cfg := &AuthorizerConfig{Type: "jwt", Issuer: testIssuer, Audience: []string{"api"}, JWKSURI: fx.srv.JWKSURL()}
	set, err := New(map[string]*AuthorizerConfig{"users": cfg}, nil, Options{Now: fx.clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { set.Close() })
	if err := set.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	fx.set = set
	return fx
}

// FuzzClaims checks the claims of a validly signed token, whatever they
// are: no panic, and anything accepted renders as valid JSON.
func FuzzClaims(f *testing.F) {
	s := &Set{}
	a := &jwtAuthorizer{set: s, issuer: testIssuer, audiences: []string{"api"}}
	for _, seed := range []string{
		`{"iss":"https://id.example.com/","aud":"api","exp":1e12,"sub":"u","scope":"a b","groups":["x",1,null,{"k":[]}],"o":{"a":"\u00e9"}}`,
		`{"iss":"https://id.example.com/","aud":["api"],"exp":1,"nbf":"x"}`,
		`{"iss":"https://id.example.com/","client_id":"api","exp":-1.5e308,"scp":["a"],"sub":7}`,
		`{}`, `[]`, `null`, `{"a":1}{}`, "{\"iss\":\"\xff\"}",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, rest bool) {
		s.rest = rest
		e, err := a.checkClaims(payload, &verifyKey{kid: "k"})
		if err != nil {
			if e != nil || err.Kind != KindUnauthorized {
				t.Fatalf("got %v, %v", e, err)
			}
			return
		}
		for _, b := range [][]byte{e.unscoped.AuthorizerV1, e.unscoped.AuthorizerV2, e.scoped.AuthorizerV1, e.scoped.AuthorizerV2} {
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("invalid JSON %q from %q", b, payload)
			}
		}
		var v2 struct {
			JWT struct {
				Claims map[string]string `json:"claims"`
			} `json:"jwt"`
		}
		if err := json.Unmarshal(e.unscoped.AuthorizerV2, &v2); err != nil {
			t.Fatalf("claims are not all strings: %v: %s", err, e.unscoped.AuthorizerV2)
		}
	})
}

// FuzzPolicy parses and evaluates arbitrary policy documents against
// arbitrary ARNs: no panic, no hang, and a document that parses always
// decides.
func FuzzPolicy(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:*:*:*/*/GET/*"}]}`,
		`{"Statement":{"Action":["execute-api:*"],"Effect":"Deny","NotResource":["*/POST/*","a?b"]}}`,
		`{"Statement":[{"NotAction":"s3:*","Effect":"Allow","Resource":"*","Condition":{"a":{}}}]}`,
		`{"Statement":[{"Action":"*","Effect":"Allow|Deny","Resource":"*"}]}`,
		`{"Statement":[]}`, `{}`, `null`, `[`, `{"Statement":"x"}`,
	} {
		f.Add([]byte(seed), "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/pets/7")
	}
	f.Fuzz(func(t *testing.T, doc []byte, arn string) {
		p, err := parsePolicy(doc)
		if err != nil {
			return
		}
		switch d := p.eval([]byte(arn)); d {
		case allow, implicitDeny, explicitDeny:
		default:
			t.Fatalf("decision %d", d)
		}
	})
}

// FuzzAnswer parses arbitrary Lambda authorizer answers in each format: no
// panic, and what parses renders valid JSON for the events.
func FuzzAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"isAuthorized":true,"context":{"a":[1,{"b":null}],"c":"\u2028"}}`,
		`{"principalId":"u","policyDocument":{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]},"context":{"n":1e400,"b":false}}`,
		`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"claims":"x","principalId":"y"}}`,
		`{"isAuthorized":"yes"}`, `null`, `[]`, `{"context":[]}`,
	} {
		for format := range 3 {
			f.Add([]byte(seed), uint8(format), format == 0)
		}
	}
	f.Fuzz(func(t *testing.T, out []byte, format uint8, simple bool) {
		a := &lambdaAuthorizer{format: eventFormat(format%3 + 1), simple: simple}
		e, err := a.parseAnswer(out)
		if err != nil {
			return
		}
		for _, b := range [][]byte{e.cached.AuthorizerV1, e.cached.AuthorizerV2, e.result(42).AuthorizerV1} {
			if !json.Valid(b) {
				t.Fatalf("invalid JSON %q from %q", b, out)
			}
		}
		if !e.simple {
			e.policy.eval([]byte("arn:aws:execute-api:r:1:api/dev/GET/x"))
		}
	})
}

// FuzzAuthorizerEvent reshapes arbitrary proxy events into authorizer
// events: no panic, and a proxy event that is a JSON object gives an
// authorizer event that is one too.
func FuzzAuthorizerEvent(f *testing.F) {
	for _, seed := range []string{proxyV2, proxyV1, proxyREST, `{}`, `{"requestContext":{"identity":"x"}}`, `{"a":"\"}`, `[]`} {
		f.Add([]byte(seed), "tok", uint8(0))
		f.Add([]byte(seed), "a\"b\\c", uint8(1))
		f.Add([]byte(seed), "", uint8(2))
	}
	f.Fuzz(func(t *testing.T, proxy []byte, value string, format uint8) {
		r := &lambdaRoute{a: &lambdaAuthorizer{format: eventFormat(format%3 + 1)}}
		out, err := r.appendEvent(nil, proxy, [][]byte{[]byte(value), []byte("x")}, []byte("arn:aws:execute-api:r:1:a/s/GET/p"))
		var obj map[string]json.RawMessage
		if json.Unmarshal(proxy, &obj) != nil || !utf8.Valid(proxy) {
			return
		}
		if err != nil {
			t.Fatalf("valid proxy event %q: %v", proxy, err)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid event %q from %q", out, proxy)
		}
	})
}
