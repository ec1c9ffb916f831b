package auth

import (
	"context"
	"testing"
)

// TestNewDoesNoIO: building a Set fetches nothing; Start makes the first
// JWKS fetch, so a token is verified only after it.
func TestNewDoesNoIO(t *testing.T) {
	srv := newJWKSServer(t, publicJWK("rsa", "k1", "RS256"))
	cfg := &AuthorizerConfig{Type: "jwt", Issuer: testIssuer, Audience: []string{"api"}, JWKSURI: srv.JWKSURL()}
	s, err := New(map[string]*AuthorizerConfig{"users": cfg}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := srv.JWKSHits.Load(); n != 0 {
		t.Fatalf("New fetched the JWKS %d times, want 0", n)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.JWKSHits.Load(); n != 1 {
		t.Errorf("Start fetched the JWKS %d times, want 1", n)
	}
	s.Close()
	if err := s.Start(context.Background()); err == nil {
		t.Errorf("Start after Close succeeded, want an error")
	}
}
