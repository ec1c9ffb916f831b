package auth

import (
	"context"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func BenchmarkJWTCached(b *testing.B) {
	a, req := benchJWT(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWTVerify is the cost of a token not seen before: parse, RS256
// signature, claims and the rendering of the event objects.
func BenchmarkJWTVerify(b *testing.B) {
	for _, tc := range []struct {
		key, kid string
		alg      jose.SignatureAlgorithm
	}{{"rsa1", "rs", jose.RS256}, {"p256", "es256", jose.ES256}, {"ed", "ed", jose.EdDSA}} {
		b.Run(string(tc.alg), func(b *testing.B) {
			f := newJWTFixture(b, Options{}, nil)
			a := f.set.authorizers["users"].jwt
			tok := []byte(mint(b, tc.key, tc.alg, tc.kid, f.claims()))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLambdaCached(b *testing.B) {
	a, req := benchLambda(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAPIKey(b *testing.B) {
	a, req := benchAPIKey(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// benchJWT returns a jwt route and a request whose token is cached.
func benchJWT(tb testing.TB) (*Authenticator, *Request) {
	f := newJWTFixture(tb, Options{}, nil)
	a := f.set.authorizers["users"]
	au := &Authenticator{set: f.set, name: "users", typ: a.typ, jwt: a.jwt.forRoute([]string{"email"})}
	req := request(map[string]string{"Authorization": "Bearer " + mint(tb, "rsa1", jose.RS256, "rs", f.claims())}, nil)
	if _, err := au.Authenticate(context.Background(), req); err != nil {
		tb.Fatal(err)
	}
	return au, req
}

// benchLambda returns a lambda route and a request whose answer is cached.
func benchLambda(tb testing.TB) (*Authenticator, *Request) {
	cfg := &AuthorizerConfig{ResultTTL: time.Hour, IdentitySource: IdentitySource{"$request.header.X-Token"}, Payload: "1.0"}
	f := newLambdaFixture(tb, "http", cfg, reply(allowAll))
	au, err := f.set.ForRoute("custom", nil, "GET /pets/{id}")
	if err != nil {
		tb.Fatal(err)
	}
	req := lambdaRequest("http", "7", "tok", "")
	if _, err := au.Authenticate(context.Background(), req); err != nil {
		tb.Fatal(err)
	}
	return au, req
}

func benchAPIKey(tb testing.TB) (*Authenticator, *Request) {
	s, err := New(map[string]*AuthorizerConfig{"keys": {Type: "apikey"}}, testAPIKeys, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	au, _ := s.ForRoute("keys", nil, "GET /partner")
	return au, request(map[string]string{"X-API-Key": "c-key-0123456789abcdef"}, nil)
}
