package jwkstest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestServedKeyVerifiesTheSignedToken(t *testing.T) {
	key, err := NewRSAKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(key.JWK())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tok, err := key.Sign(map[string]any{"sub": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Headers[0].KeyID; got != "k1" {
		t.Errorf("got kid %q, want k1", got)
	}
	var claims map[string]any
	if err := parsed.Claims(set.Key("k1")[0].Key, &claims); err != nil || claims["sub"] != "ann" {
		t.Errorf("got claims %v, %v; want sub ann", claims, err)
	}
	if srv.JWKSHits.Load() != 1 {
		t.Errorf("got %d JWKS hits, want 1", srv.JWKSHits.Load())
	}
}
