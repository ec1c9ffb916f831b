package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/internal/testkit/jwkstest"
)

// testKeys are generated once per test binary (RSA generation is slow).
var testKeys = sync.OnceValue(func() map[string]any {
	rsa1, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa2, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]any{"rsa1": rsa1, "rsa2": rsa2, "p256": p256, "p384": p384, "p521": p521, "ed": ed}
})

// key returns the private key named name (rsa1, rsa2, p256, p384, p521, ed).
func key(name string) any { return testKeys()[name] }

// publicJWK is the public JWK of the private key name, with kid.
func publicJWK(name, kid, alg string) jose.JSONWebKey {
	return jwkstest.Key{Private: key(name), ID: kid, Alg: jose.SignatureAlgorithm(alg)}.JWK()
}

// newJWKSServer serves keys (and OpenID discovery) on 127.0.0.1 until the
// test ends.
func newJWKSServer(t testing.TB, keys ...jose.JSONWebKey) *jwkstest.Server {
	t.Helper()
	s, err := jwkstest.Start(keys...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mint signs claims with the private key name, alg and kid; with name "",
// with the HMAC secret claims["__secret"] (removed from the claims).
func mint(t testing.TB, name string, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	k := jwkstest.Key{Private: key(name), ID: kid, Alg: alg}
	if name == "" {
		k.Private = claims["__secret"]
		delete(claims, "__secret")
	}
	tok, err := k.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsigned builds a token with the given header and claims and signature.
func unsigned(header, claims map[string]any, sig string) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "." + sig
}

// request is a Request with the given headers (names any case) and query.
func request(headers map[string]string, query map[string]string) *Request {
	h := map[string]string{}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	get := func(m map[string]string) func(string) []byte {
		b := make(map[string][]byte, len(m)) // as the gateway does: no allocation per call
		for k, v := range m {
			b[k] = []byte(v)
		}
		return func(name string) []byte { return b[name] }
	}
	return &Request{
		Method:    "GET",
		Path:      []byte("/pets/7"),
		Header:    get(h),
		Query:     get(query),
		Cookie:    get(nil),
		SourceIP:  []byte("192.0.2.1"),
		RequestID: []byte("Mc7UVioPPHcEKPA="),
	}
}

// observed is a logger whose entries the test can read.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(core), logs
}

// mustNew is New that fails the test on error and closes the Set after it.
func mustNew(t testing.TB, authorizers map[string]*AuthorizerConfig, keys []APIKeyConfig, opts Options) *Set {
	t.Helper()
	s, err := New(authorizers, keys, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

// mustRoute is ForRoute that fails the test on error.
func mustRoute(t *testing.T, s *Set, name string, scopes []string, routeKey string) *Authenticator {
	t.Helper()
	a, err := s.ForRoute(name, scopes, routeKey)
	if err != nil || a == nil {
		t.Fatalf("ForRoute(%q): %v, %v", name, a, err)
	}
	return a
}

// kindOf returns the Kind of err, 0 for nil, and fails for other errors.
func kindOf(t *testing.T, err error) Kind {
	t.Helper()
	if err == nil {
		return 0
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not an *auth.Error", err, err)
	}
	return e.Kind
}
