package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
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
	k := jose.JSONWebKey{Key: key(name), KeyID: kid, Algorithm: alg, Use: "sig"}
	return k.Public()
}

// jwksServer is a JWKS (and OpenID discovery) endpoint on 127.0.0.1.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     []jose.JSONWebKey
	down     bool   // answer 503
	body     []byte // served instead of the keys when set
	delay    time.Duration
	maxAge   int
	jwksHits atomic.Int64
	discHits atomic.Int64
}

func newJWKSServer(t testing.TB, keys ...jose.JSONWebKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		s.jwksHits.Add(1)
		s.mu.Lock()
		delay := s.delay
		s.mu.Unlock()
		time.Sleep(delay)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if s.maxAge > 0 {
			w.Header().Set("Cache-Control", "public, max-age="+itoa(s.maxAge))
		}
		w.Header().Set("Content-Type", "application/json")
		if s.body != nil {
			w.Write(s.body)
			return
		}
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: s.keys})
		w.Write(b)
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		s.discHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + s.URL + `/","jwks_uri":"` + s.URL + `/jwks.json"}`))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...jose.JSONWebKey) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *jwksServer) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
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

// mint signs claims with the private key name, alg and kid.
func mint(t testing.TB, name string, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	sk := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key(name), KeyID: kid}}
	if name == "" { // raw key bytes (HMAC)
		sk = jose.SigningKey{Algorithm: alg, Key: claims["__secret"]}
		opts = opts.WithHeader("kid", kid)
		delete(claims, "__secret")
	}
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
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
