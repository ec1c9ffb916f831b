package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/jwkstest"
)

const testIssuer = "https://id.example.com/"

// jwtFixture is a Set with one jwt authorizer ("users") over a JWKS server
// holding a key of each type.
type jwtFixture struct {
	srv   *jwkstest.Server
	clock *clock
	set   *Set
	cfg   *AuthorizerConfig
}

func allKeys() []jose.JSONWebKey {
	return []jose.JSONWebKey{
		publicJWK("rsa1", "rs", ""),
		publicJWK("p256", "es256", ""),
		publicJWK("p384", "es384", ""),
		publicJWK("p521", "es512", "ES512"),
		publicJWK("ed", "ed", ""),
	}
}

func newJWTFixture(t testing.TB, opts Options, mod func(*AuthorizerConfig)) *jwtFixture {
	t.Helper()
	f := &jwtFixture{srv: newJWKSServer(t, allKeys()...), clock: newClock()}
	f.cfg = &AuthorizerConfig{Type: "jwt", Issuer: testIssuer, Audience: []string{"api"}, JWKSURI: f.srv.JWKSURL()}
	if mod != nil {
		mod(f.cfg)
	}
	opts.Now = f.clock.Now
	f.set = mustNew(t, map[string]*AuthorizerConfig{"users": f.cfg}, nil, opts)
	return f
}

// claims are valid claims at the fixture's clock, changed by kv pairs
// (a nil value deletes the claim).
func (f *jwtFixture) claims(kv ...any) map[string]any {
	now := f.clock.Now().Unix()
	c := map[string]any{
		"iss": testIssuer, "aud": "api", "sub": "user-1",
		"exp": now + 3600, "iat": now, "nbf": now, "scope": "profile:read email",
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func (f *jwtFixture) auth(t *testing.T, a *Authenticator, authorization string) (*Result, error) {
	t.Helper()
	h := map[string]string{}
	if authorization != "" {
		h["Authorization"] = authorization
	}
	return a.Authenticate(context.Background(), request(h, nil))
}

func TestJWTAlgorithms(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	for _, tc := range []struct {
		key, kid string
		alg      jose.SignatureAlgorithm
	}{
		{"rsa1", "rs", jose.RS256}, {"rsa1", "rs", jose.RS384}, {"rsa1", "rs", jose.RS512},
		{"rsa1", "rs", jose.PS256}, {"rsa1", "rs", jose.PS384}, {"rsa1", "rs", jose.PS512},
		{"p256", "es256", jose.ES256}, {"p384", "es384", jose.ES384}, {"p521", "es512", jose.ES512},
		{"ed", "ed", jose.EdDSA},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			tok := mint(t, tc.key, tc.alg, tc.kid, f.claims())
			res, err := f.auth(t, a, "Bearer "+tok)
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if res.Principal != "user-1" {
				t.Errorf("Principal: got %q, want user-1", res.Principal)
			}
		})
	}
}

func TestJWTRejections(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	now := f.clock.Now().Unix()
	rsaPub := &key("rsa1").(*rsa.PrivateKey).PublicKey
	der, _ := x509.MarshalPKIXPublicKey(rsaPub)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	valid := mint(t, "rsa1", jose.RS256, "rs", f.claims())
	parts := strings.Split(valid, ".")

	for _, tc := range []struct {
		name, authz string
		desc        string // expected error_description; "-" for none
	}{
		{"no header", "", "-"},
		{"empty bearer", "Bearer ", "-"},
		{"expired", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("exp", now-1)), "the token has expired"},
		{"expires now", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("exp", now)), "the token has expired"},
		{"not yet valid", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("nbf", now+60)), "the token is not valid yet"},
		{"issued in the future", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("iat", now+60)), "the token was issued in the future"},
		{"no exp", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("exp", nil)), "the token has no valid expiry"},
		{"exp a string", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("exp", "2099")), "the token has no valid expiry"},
		{"wrong issuer", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("iss", "https://evil.example.com/")), "the token does not have a valid issuer"},
		{"issuer without slash", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("iss", "https://id.example.com")), "the token does not have a valid issuer"},
		{"wrong audience", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", "other")), "the token does not have a valid audience"},
		{"aud wrong, client_id right", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", []string{"other"}, "client_id", "api")), "the token does not have a valid audience"},
		{"no aud, no client_id", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", nil)), "the token does not have a valid audience"},
		{"alg none", "Bearer " + unsigned(map[string]any{"alg": "none", "kid": "rs"}, f.claims(), ""), "the token is malformed"},
		{"alg none with a signature", "Bearer " + unsigned(map[string]any{"alg": "none", "kid": "rs"}, f.claims(), parts[2]), "the token is malformed"},
		{"HS256 with the RSA public key (DER) as secret", "Bearer " + mint(t, "", jose.HS256, "rs", with(f.claims(), "__secret", der)), "the token is malformed"},
		{"HS256 with the RSA public key (PEM) as secret", "Bearer " + mint(t, "", jose.HS256, "rs", with(f.claims(), "__secret", pemKey)), "the token is malformed"},
		{"ES256 token naming the RSA key", "Bearer " + mint(t, "p256", jose.ES256, "rs", f.claims()), "the token's signing algorithm is not valid for its key"},
		{"ES384 token naming the P-256 key", "Bearer " + mint(t, "p384", jose.ES384, "es256", f.claims()), "the token's signing algorithm is not valid for its key"},
		{"RS256 token naming an ES512-only key", "Bearer " + mint(t, "rsa1", jose.RS256, "es512", f.claims()), "the token's signing algorithm is not valid for its key"},
		{"signed by another key", "Bearer " + mint(t, "rsa2", jose.RS256, "rs", f.claims()), "the token's signature is invalid"},
		{"claims swapped", "Bearer " + parts[0] + "." + strings.Split(mint(t, "rsa1", jose.RS256, "rs", f.claims("sub", "admin")), ".")[1] + "." + parts[2], "the token's signature is invalid"},
		{"no kid", "Bearer " + mint(t, "rsa1", jose.RS256, "", f.claims()), "the token does not name a known signing key"},
		{"garbage", "Bearer garbage", "the token is malformed"},
		{"three garbage parts", "Bearer a.b.c", "the token is malformed"},
		{"two parts", "Bearer " + parts[0] + "." + parts[1], "the token is malformed"},
		{"truncated", "Bearer " + valid[:len(valid)-10], "the token's signature is invalid"},
		{"truncated in the claims", "Bearer " + valid[:len(parts[0])+10], "the token is malformed"},
		{"JWE-shaped", "Bearer a.b.c.d.e", "the token is malformed"},
		{"oversized", "Bearer " + strings.Repeat("a", 16<<10+1), "the token is malformed"},
		{"claims not an object", "Bearer " + mintRaw(t, "rsa1", "rs", `["x"]`), "the token is malformed"},
		{"two tokens", "Bearer " + valid + "," + valid, "the token is malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.auth(t, a, tc.authz)
			if err == nil {
				t.Fatalf("got accepted (%s), want 401", res.AuthorizerV2)
			}
			e := err.(*Error)
			if e.Kind != KindUnauthorized {
				t.Errorf("Kind: got %v, want unauthorized", e.Kind)
			}
			want := `Bearer scope=""`
			if tc.desc != "-" {
				want += ` error="invalid_token" error_description="` + tc.desc + `"`
			}
			if e.WWWAuthenticate != want {
				t.Errorf("WWWAuthenticate:\ngot  %s\nwant %s", e.WWWAuthenticate, want)
			}
			if tok := strings.TrimPrefix(tc.authz, "Bearer "); len(tok) > 8 && (strings.Contains(e.Reason, tok) || strings.Contains(e.Error(), tok)) {
				t.Errorf("the reason %q holds the token", e.Reason)
			}
		})
	}
}

// with sets claims[k] = v.
func with(claims map[string]any, k string, v any) map[string]any {
	claims[k] = v
	return claims
}

// mintRaw signs a raw payload.
func mintRaw(t *testing.T, name, kid, payload string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key(name), KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTAccepts(t *testing.T) {
	f := newJWTFixture(t, Options{}, func(c *AuthorizerConfig) { c.Audience = []string{"other", "api"} })
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	now := f.clock.Now().Unix()
	for _, tc := range []struct{ name, authz string }{
		{"bare token", mint(t, "rsa1", jose.RS256, "rs", f.claims())},
		{"lower-case bearer", "bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims())},
		{"BEARER and spaces", "  BEARER   " + mint(t, "rsa1", jose.RS256, "rs", f.claims()) + " "},
		{"aud list", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", []string{"x", "api"}))},
		{"second configured audience", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", "other"))},
		{"client_id without aud", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("aud", nil, "client_id", "api"))},
		{"no nbf, no iat", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("nbf", nil, "iat", nil))},
		{"fractional exp", "Bearer " + mint(t, "rsa1", jose.RS256, "rs", f.claims("exp", float64(now)+0.5))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.auth(t, a, tc.authz); err != nil {
				t.Errorf("got %v, want accepted", err)
			}
		})
	}
}

func TestJWTLeeway(t *testing.T) {
	f := newJWTFixture(t, Options{}, func(c *AuthorizerConfig) { c.Leeway = 30 * time.Second })
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	now := f.clock.Now().Unix()
	for _, tc := range []struct {
		name string
		kv   []any
		ok   bool
	}{
		{"expired 10s ago", []any{"exp", now - 10}, true},
		{"expired 30s ago", []any{"exp", now - 30}, false},
		{"nbf in 20s", []any{"nbf", now + 20}, true},
		{"nbf in 40s", []any{"nbf", now + 40}, false},
		{"iat in 20s", []any{"iat", now + 20}, true},
		{"iat in 40s", []any{"iat", now + 40}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth(t, a, mint(t, "rsa1", jose.RS256, "rs", f.claims(tc.kv...)))
			if got := err == nil; got != tc.ok {
				t.Errorf("accepted: got %v (%v), want %v", got, err, tc.ok)
			}
		})
	}
}

func TestJWTScopes(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	scoped := mustRoute(t, f.set, "users", []string{"profile:read", "admin"}, "GET /me")
	open := mustRoute(t, f.set, "users", nil, "GET /open")
	for _, tc := range []struct {
		name       string
		kv         []any
		ok         bool
		wantScopes string // the scopes in AuthorizerV2 on the scoped route
	}{
		{"scope string", []any{"scope", "email profile:read"}, true, `["email","profile:read"]`},
		{"scope list", []any{"scope", []string{"profile:read"}}, true, `["profile:read"]`},
		{"scp list", []any{"scope", nil, "scp", []string{"admin", "x"}}, true, `["admin","x"]`},
		{"scp string", []any{"scope", nil, "scp", "admin"}, true, `["admin"]`},
		{"scope and scp", []any{"scope", "email", "scp", []string{"admin"}}, true, `["email","admin"]`},
		{"none of them", []any{"scope", "email profile:write"}, false, ""},
		{"no scope claim", []any{"scope", nil}, false, ""},
		{"prefix is not a match", []any{"scope", "profile"}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := mint(t, "rsa1", jose.RS256, "rs", f.claims(tc.kv...))
			res, err := f.auth(t, scoped, tok)
			if !tc.ok {
				e, _ := err.(*Error)
				if e == nil || e.Kind != KindInsufficientScope {
					t.Fatalf("got %v, want insufficient_scope", err)
				}
				want := `Bearer scope="profile:read admin" error="insufficient_scope" error_description="the token does not have any of the route's scopes"`
				if e.WWWAuthenticate != want {
					t.Errorf("WWWAuthenticate:\ngot  %s\nwant %s", e.WWWAuthenticate, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			var v2 struct {
				JWT struct {
					Scopes json.RawMessage `json:"scopes"`
				} `json:"jwt"`
			}
			if err := json.Unmarshal(res.AuthorizerV2, &v2); err != nil {
				t.Fatal(err)
			}
			if got := string(v2.JWT.Scopes); got != tc.wantScopes {
				t.Errorf("scopes: got %s, want %s", got, tc.wantScopes)
			}
			// A route without scopes takes any valid token, and says null.
			res, err = f.auth(t, open, tok)
			if err != nil || !strings.HasSuffix(string(res.AuthorizerV2), `"scopes":null}}`) {
				t.Errorf("open route: got %s, %v; want scopes null", res.AuthorizerV2, err)
			}
		})
	}
}

func TestJWTClaimsInEvent(t *testing.T) {
	claims := `{"iss":"https://id.example.com/","aud":["api","other"],"sub":"user-1","exp":1800003600,"iat":1800000000,` +
		`"email_verified":true,"groups":["g1","g2",3,null],"addr":{"zip":75001,"city":"Zoë"},` +
		`"gone":null,"big":12345678901234567890,"name":"Zo\u00eb \"Z\"","empty":[]}`
	wantHTTP := `{"addr":"{\"city\":\"Zoë\",\"zip\":75001}","aud":"[api other]","big":"12345678901234567890",` +
		`"email_verified":"true","empty":"[]","exp":"1800003600","groups":"[g1 g2 3 null]","iat":"1800000000",` +
		`"iss":"https://id.example.com/","name":"Zoë \"Z\"","sub":"user-1"}`
	wantREST := `{"addr":{"city":"Zo\u00eb","zip":75001},"aud":["api","other"],"big":12345678901234567890,` +
		`"email_verified":true,"empty":[],"exp":1800003600,"gone":null,"groups":["g1","g2",3,null],"iat":1800000000,` +
		`"iss":"https://id.example.com/","name":"Zo\u00eb \"Z\"","sub":"user-1"}`
	for _, tc := range []struct {
		api            string
		wantV2, wantV1 string
	}{
		{"http", `{"jwt":{"claims":` + wantHTTP + `,"scopes":null}}`, `{"claims":` + wantHTTP + `,"scopes":null}`},
		{"rest", `{"jwt":{"claims":` + wantHTTP + `,"scopes":null}}`, `{"claims":` + wantREST + `,"scopes":null}`},
	} {
		t.Run(tc.api, func(t *testing.T) {
			f := newJWTFixture(t, Options{API: tc.api}, nil)
			a := mustRoute(t, f.set, "users", nil, "GET /me")
			res, err := f.auth(t, a, mintRaw(t, "rsa1", "rs", claims))
			if err != nil {
				t.Fatal(err)
			}
			if string(res.AuthorizerV2) != tc.wantV2 {
				t.Errorf("AuthorizerV2:\ngot  %s\nwant %s", res.AuthorizerV2, tc.wantV2)
			}
			if string(res.AuthorizerV1) != tc.wantV1 {
				t.Errorf("AuthorizerV1:\ngot  %s\nwant %s", res.AuthorizerV1, tc.wantV1)
			}
			if res.IdentityExtra != nil || res.APIKey != "" {
				t.Errorf("IdentityExtra %q APIKey %q: want none", res.IdentityExtra, res.APIKey)
			}
		})
	}
}

// TestJWTShape checks the 2.0 authorizer object against the shape in the
// AWS example event.
func TestJWTShape(t *testing.T) {
	var example struct {
		RequestContext struct {
			Authorizer map[string]map[string]json.RawMessage `json:"authorizer"`
		} `json:"requestContext"`
	}
	readExample(t, "lambda-go.apigw-v2-request-jwt-authorizer.json", &example)
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", []string{"email"}, "GET /me")
	res, err := f.auth(t, a, mint(t, "rsa1", jose.RS256, "rs", f.claims()))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]json.RawMessage
	if err := json.Unmarshal(res.AuthorizerV2, &got); err != nil {
		t.Fatal(err)
	}
	for outer, inner := range example.RequestContext.Authorizer {
		for k, v := range inner {
			g, ok := got[outer][k]
			if !ok || (v[0] == '{') != (g[0] == '{') || (v[0] == '[') != (g[0] == '[') {
				t.Errorf("%s.%s: got %s, want the shape of %s", outer, k, g, v)
			}
		}
	}
	var claims map[string]any
	json.Unmarshal(got["jwt"]["claims"], &claims)
	for k, v := range claims {
		if _, ok := v.(string); !ok {
			t.Errorf("claim %s: got %T, want a string", k, v)
		}
	}
}

func TestJWTCache(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	tok := mint(t, "rsa1", jose.RS256, "rs", f.claims())
	first, err := f.auth(t, a, tok)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.auth(t, a, tok)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("second Result: got a new one, want the cached one")
	}
	if got := f.set.Stats()["jwt_cache_hits"]; got != 1 {
		t.Errorf("jwt_cache_hits: got %d, want 1", got)
	}
	// A cached token still expires.
	f.clock.Advance(time.Hour)
	if _, err := f.auth(t, a, tok); kindOf(t, err) != KindUnauthorized {
		t.Errorf("after exp: got %v, want 401", err)
	}
}

func TestJWTUnknownKIDRefetch(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	base := f.srv.JWKSHits.Load()
	tok := mint(t, "rsa2", jose.RS256, "unknown", f.claims())

	// Right after New's fetch, a refetch is not allowed yet.
	if _, err := f.auth(t, a, tok); kindOf(t, err) != KindUnauthorized {
		t.Fatalf("got %v, want 401", err)
	}
	if got := f.srv.JWKSHits.Load() - base; got != 0 {
		t.Errorf("fetches within 10s of the last: got %d, want 0", got)
	}
	f.clock.Advance(10 * time.Second)
	for range 5 {
		if _, err := f.auth(t, a, tok); kindOf(t, err) != KindUnauthorized {
			t.Fatalf("got %v, want 401", err)
		}
	}
	if got := f.srv.JWKSHits.Load() - base; got != 1 {
		t.Errorf("fetches for 5 tokens with an unknown kid: got %d, want 1 (rate-limited)", got)
	}
	f.clock.Advance(10 * time.Second)
	f.auth(t, a, tok)
	if got := f.srv.JWKSHits.Load() - base; got != 2 {
		t.Errorf("fetches 10s later: got %d, want 2", got)
	}
}

func TestJWTConcurrentRefetch(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	f.srv.SetKeys(append(allKeys(), publicJWK("rsa2", "new", ""))...)
	f.clock.Advance(time.Minute)
	base := f.srv.JWKSHits.Load()
	tok := mint(t, "rsa2", jose.RS256, "new", f.claims())
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.auth(t, a, tok) })
	}
	wg.Wait()
	if got := f.srv.JWKSHits.Load() - base; got != 1 {
		t.Errorf("fetches: got %d, want 1", got)
	}
	// Those that waited for the fetch succeed; any that came after it see
	// the key; none is refused because another was fetching.
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
}

func TestJWTKeyRotation(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	old := mint(t, "rsa1", jose.RS256, "rs", f.claims())
	if _, err := f.auth(t, a, old); err != nil {
		t.Fatal(err)
	}
	// The issuer rotates to a new key and drops the old one.
	f.srv.SetKeys(publicJWK("rsa2", "rs-2", "RS256"))
	f.clock.Advance(10 * time.Second)
	tok := mint(t, "rsa2", jose.RS256, "rs-2", f.claims())
	if _, err := f.auth(t, a, tok); err != nil {
		t.Fatalf("token with the new key: %v", err)
	}
	// The old token was cached as verified, but its key is gone.
	if _, err := f.auth(t, a, old); kindOf(t, err) != KindUnauthorized {
		t.Errorf("token with the dropped key: got %v, want 401", err)
	}
	// The new key says RS256: an RS512 token with it is refused.
	if _, err := f.auth(t, a, mint(t, "rsa2", jose.RS512, "rs-2", f.claims())); kindOf(t, err) != KindUnauthorized {
		t.Errorf("RS512 with an RS256 key: got %v, want 401", err)
	}
}

func TestJWKSDown(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	f.srv.SetDown(true)
	f.clock.Advance(time.Minute)
	// An unknown kid makes it refetch, which fails...
	if _, err := f.auth(t, a, mint(t, "rsa2", jose.RS256, "other", f.claims())); kindOf(t, err) != KindUnauthorized {
		t.Errorf("unknown kid: got %v, want 401", err)
	}
	if got := f.set.Stats()["jwks_fetch_errors"]; got != 1 {
		t.Errorf("jwks_fetch_errors: got %d, want 1", got)
	}
	// ...and the cached keys still verify new tokens.
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.PS512} {
		if _, err := f.auth(t, a, mint(t, "rsa1", alg, "rs", f.claims())); err != nil {
			t.Errorf("%s with a cached key while the JWKS is down: %v", alg, err)
		}
	}
	// A scheduled refresh that fails keeps them too.
	f.set.keySets[0].fetch(context.Background(), true)
	if _, err := f.auth(t, a, mint(t, "ed", jose.EdDSA, "ed", f.claims())); err != nil {
		t.Errorf("after a failed refresh: %v", err)
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	srv := newJWKSServer(t, allKeys()...)
	srv.SetDown(true)
	c := newClock()
	logger, logs := observed()
	cfg := &AuthorizerConfig{Type: "jwt", Issuer: testIssuer, Audience: []string{"api"}, JWKSURI: srv.JWKSURL()}
	s := mustNew(t, map[string]*AuthorizerConfig{"users": cfg}, nil, Options{Now: c.Now, Logger: logger})
	if n := logs.FilterMessage("jwks fetch failed; serving the keys cached before").Len(); n != 1 {
		t.Errorf("warnings: got %d, want 1", n)
	}
	a := mustRoute(t, s, "users", nil, "GET /me")
	f := &jwtFixture{srv: srv, clock: c, set: s}
	tok := mint(t, "rsa1", jose.RS256, "rs", f.claims())
	if _, err := f.auth(t, a, tok); kindOf(t, err) != KindUnauthorized {
		t.Errorf("no keys yet: got %v, want 401", err)
	}
	srv.SetDown(false)
	c.Advance(10 * time.Second)
	if _, err := f.auth(t, a, tok); err != nil {
		t.Errorf("endpoint back: %v", err)
	}
}

func TestJWKSDiscovery(t *testing.T) {
	srv := newJWKSServer(t, allKeys()...)
	c := newClock()
	cfg := &AuthorizerConfig{Type: "jwt", Issuer: srv.URL + "/", Audience: []string{"api"}}
	s := mustNew(t, map[string]*AuthorizerConfig{"users": cfg}, nil, Options{Now: c.Now})
	if srv.DiscoveryHits.Load() != 1 || srv.JWKSHits.Load() != 1 {
		t.Errorf("fetches: discovery %d, jwks %d; want 1 and 1", srv.DiscoveryHits.Load(), srv.JWKSHits.Load())
	}
	a := mustRoute(t, s, "users", nil, "GET /me")
	f := &jwtFixture{srv: srv, clock: c, set: s}
	if _, err := f.auth(t, a, mint(t, "p256", jose.ES256, "es256", f.claims("iss", srv.URL+"/"))); err != nil {
		t.Errorf("token of the discovered issuer: %v", err)
	}
	// An unknown kid refetches the JWKS only.
	c.Advance(10 * time.Second)
	f.auth(t, a, mint(t, "p256", jose.ES256, "nope", f.claims("iss", srv.URL+"/")))
	if srv.DiscoveryHits.Load() != 1 || srv.JWKSHits.Load() != 2 {
		t.Errorf("after an unknown kid: discovery %d, jwks %d; want 1 and 2", srv.DiscoveryHits.Load(), srv.JWKSHits.Load())
	}
}

func TestJWKSLimits(t *testing.T) {
	defer func(d time.Duration) { fetchTimeout = d }(fetchTimeout)
	fetchTimeout = 200 * time.Millisecond
	keysJSON, _ := json.Marshal(jose.JSONWebKeySet{Keys: allKeys()})
	pad := func(n int) []byte { // a valid JWKS of n bytes
		b := append([]byte(`{"x":"`), strings.Repeat("a", n-len(keysJSON)-7)...)
		b = append(b, `",`...)
		return append(b, keysJSON[1:]...)
	}
	for _, tc := range []struct {
		name string
		body []byte
		hang bool
		ok   bool
	}{
		{"150000 bytes", pad(150_000), false, true},
		{"150001 bytes", pad(150_001), false, false},
		{"not JSON", []byte("<html>"), false, false},
		{"no usable key", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"},{"kty":"RSA","kid":"x"}]}`), false, false},
		{"slower than the timeout", keysJSON, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ok && len(tc.body) != 150_000 {
				t.Fatalf("BUG: pad made %d bytes", len(tc.body))
			}
			srv := newJWKSServer(t)
			srv.SetBody(tc.body)
			srv.SetHang(tc.hang)
			cfg := &AuthorizerConfig{Type: "jwt", Issuer: testIssuer, Audience: []string{"api"}, JWKSURI: srv.JWKSURL()}
			start := time.Now()
			s := mustNew(t, map[string]*AuthorizerConfig{"users": cfg}, nil, Options{})
			if el := time.Since(start); el > time.Second {
				t.Errorf("New took %v: the fetch timeout was not applied", el)
			}
			if got := s.Stats()["jwks_fetch_errors"] == 0; got != tc.ok {
				t.Errorf("fetched: got %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestParseJWKS(t *testing.T) {
	priv, _ := json.Marshal(jose.JSONWebKey{Key: key("p256"), KeyID: "priv"})
	enc, _ := json.Marshal(jose.JSONWebKey{Key: &key("rsa2").(*rsa.PrivateKey).PublicKey, KeyID: "enc", Use: "enc"})
	good, _ := json.Marshal(publicJWK("rsa1", "rs", ""))
	nokid, _ := json.Marshal(publicJWK("ed", "", ""))
	body := `{"keys":[` + string(good) + `,` + string(priv) + `,` + string(enc) + `,` + string(nokid) +
		`,{"kty":"oct","kid":"h","k":"c2VjcmV0"},{"kty":"XYZ","kid":"u"},` + string(good) + `]}`
	keys, skipped, err := parseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys["rs"] == nil || keys["priv"] == nil {
		t.Errorf("keys: got %v, want rs and priv", keys)
	}
	if _, ok := keys["priv"].pub.(*ecdsa.PublicKey); !ok {
		t.Errorf("priv: got %T, want its *ecdsa.PublicKey", keys["priv"].pub)
	}
	if len(skipped) != 5 {
		t.Errorf("skipped: got %d %q, want 5", len(skipped), skipped)
	}
}

func TestMaxAge(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"max-age=600", 600 * time.Second},
		{"public, max-age=3600, must-revalidate", time.Hour},
		{"Max-Age=\"60\"", time.Minute},
		{"no-cache", 0},
		{"max-age=-1", 0},
		{"max-age=abc", 0},
		{"max-age=99999999999999", 24 * time.Hour},
	} {
		if got := maxAge(tc.header); got != tc.want {
			t.Errorf("maxAge(%q): got %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestJWKSRefreshSchedule(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	ks := f.set.keySets[0]
	next := func() time.Duration {
		ks.mu.Lock()
		defer ks.mu.Unlock()
		return ks.next
	}
	for _, tc := range []struct {
		maxAge int
		down   bool
		want   time.Duration
	}{
		{0, false, 10 * time.Minute},
		{600, false, 10 * time.Minute},
		{5, false, time.Minute},
		{1800, false, 30 * time.Minute},
		{7200, false, time.Hour},
		{0, true, 5 * time.Second},
		{0, true, 10 * time.Second},
		{0, true, 20 * time.Second},
		{0, false, 10 * time.Minute},
	} {
		f.srv.SetMaxAge(tc.maxAge)
		f.srv.SetDown(tc.down)
		ks.fetch(context.Background(), true)
		if got := next(); got != tc.want {
			t.Errorf("max-age %d, down %v: next refresh in %v, want %v", tc.maxAge, tc.down, got, tc.want)
		}
	}
}

func TestJWKSBackgroundRefresh(t *testing.T) {
	defer func(d time.Duration) { refreshDefault = d }(refreshDefault)
	refreshDefault = 20 * time.Millisecond
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", nil, "GET /me")
	f.srv.SetKeys(publicJWK("rsa2", "rotated", ""))
	testkit.Eventually(t, 5*time.Second, "the refresher to pick up the new key", func() bool {
		return f.set.keySets[0].lookup("rotated") != nil
	})
	// No refetch was needed: the clock never moved.
	if _, err := f.auth(t, a, mint(t, "rsa2", jose.RS256, "rotated", f.claims())); err != nil {
		t.Errorf("rotated key: %v", err)
	}
	f.set.Close()
	hits := f.srv.JWKSHits.Load()
	// A twin Set on its own server refreshes on the same schedule: once it
	// has fetched twice, the closed Set has had the time to fetch too.
	twin := newJWTFixture(t, Options{}, nil)
	base := twin.srv.JWKSHits.Load()
	testkit.Eventually(t, 5*time.Second, "two refreshes of a live Set", func() bool {
		return twin.srv.JWKSHits.Load() >= base+2
	})
	twin.set.Close() // before refreshDefault is restored
	if got := f.srv.JWKSHits.Load(); got != hits {
		t.Errorf("fetches after Close: got %d more", got-hits)
	}
}

func TestJWTConcurrent(t *testing.T) {
	f := newJWTFixture(t, Options{}, nil)
	a := mustRoute(t, f.set, "users", []string{"email"}, "GET /me")
	good := []string{
		mint(t, "rsa1", jose.RS256, "rs", f.claims()),
		mint(t, "p256", jose.ES256, "es256", f.claims("sub", "u2")),
		mint(t, "ed", jose.EdDSA, "ed", f.claims("sub", "u3")),
	}
	bad := mint(t, "rsa2", jose.RS256, "rs", f.claims())
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 50 {
				tok := good[(i+j)%len(good)]
				if (i+j)%7 == 0 {
					tok = bad
				}
				_, err := f.auth(t, a, tok)
				if (tok == bad) != (err != nil) {
					t.Errorf("token %d: got %v", (i+j)%len(good), err)
				}
			}
		})
	}
	wg.Wait()
}

func TestBearer(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "Bearer abc": "abc", "bearer abc": "abc", "Bearer\tabc": "abc", " Bearer  abc ": "abc",
		"Bearerabc": "Bearerabc", "Bearer": "", "Bearer ": "", "bearer\t": "", "Basic abc": "Basic abc", "": "",
	} {
		if got := string(bearer([]byte(in))); got != want {
			t.Errorf("bearer(%q): got %q, want %q", in, got, want)
		}
	}
}
