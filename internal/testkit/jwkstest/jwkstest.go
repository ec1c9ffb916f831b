// Package jwkstest is a JWKS endpoint (with OpenID discovery) on 127.0.0.1
// and the signer of the tokens it vouches for: the stand-in for an identity
// provider in the tests of auth and gateway and in bench's auth scenario.
// It imports nothing of the module and not package testing, so that bench
// can use it.
package jwkstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Key is a private key with the id and algorithm tokens name in their
// header. For an HMAC algorithm Private is the secret as []byte.
type Key struct {
	Private any
	ID      string
	Alg     jose.SignatureAlgorithm
}

// NewRSAKey returns a fresh 2048-bit RS256 key with key id id.
func NewRSAKey(id string) (Key, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	return Key{Private: k, ID: id, Alg: jose.RS256}, err
}

// JWK returns the public JWK of k, for a signature ("use": "sig").
func (k Key) JWK() jose.JSONWebKey {
	jwk := jose.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"}
	return jwk.Public()
}

// Sign returns a compact JWT ("typ": "JWT", "kid": k.ID unless empty) of
// claims signed with k.
func (k Key) Sign(claims any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.ID != "" {
		opts = opts.WithHeader("kid", k.ID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Private}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// Server serves a JWKS at URL+"/jwks.json" and an OpenID discovery document
// whose issuer is URL+"/" at URL+"/.well-known/openid-configuration". Its
// setters are safe for concurrent use with the requests it serves.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// JWKSHits and DiscoveryHits count the requests of each document.
	JWKSHits, DiscoveryHits atomic.Int64

	srv    *http.Server
	mu     sync.Mutex
	keys   []jose.JSONWebKey
	body   []byte
	down   bool
	hang   bool
	maxAge int
}

// Start serves keys until Close.
func Start(keys ...jose.JSONWebKey) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks.json", s.serveJWKS)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		s.DiscoveryHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + s.URL + `/","jwks_uri":"` + s.JWKSURL() + `"}`)) //nolint:errcheck
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck
	return s, nil
}

// JWKSURL is the address of the key set.
func (s *Server) JWKSURL() string { return s.URL + "/jwks.json" }

// Close stops the server and the requests it is serving.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	s.JWKSHits.Add(1)
	s.mu.Lock()
	keys, body, down, hang, maxAge := s.keys, s.body, s.down, s.hang, s.maxAge
	s.mu.Unlock()
	switch {
	case hang:
		<-r.Context().Done()
		return
	case down:
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if maxAge > 0 {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	}
	w.Header().Set("Content-Type", "application/json")
	if body == nil {
		body, _ = json.Marshal(jose.JSONWebKeySet{Keys: keys})
	}
	w.Write(body) //nolint:errcheck
}

// SetKeys replaces the key set.
func (s *Server) SetKeys(keys ...jose.JSONWebKey) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

// SetBody serves body instead of the key set; nil serves the keys again.
func (s *Server) SetBody(body []byte) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

// SetDown makes the key set answer 503 while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// SetHang makes the key set answer nothing, until each client gives up,
// while hang is true: a server slower than any timeout.
func (s *Server) SetHang(hang bool) {
	s.mu.Lock()
	s.hang = hang
	s.mu.Unlock()
}

// SetMaxAge sends Cache-Control: public, max-age=seconds with the key set;
// 0 sends none.
func (s *Server) SetMaxAge(seconds int) {
	s.mu.Lock()
	s.maxAge = seconds
	s.mu.Unlock()
}
