package auth

import (
	"context"
	"testing"
)

// TestAuthorizerSharesTraceID: the Lambda authorizer's invocation carries
// the request's trace id, as the route's function does.
func TestAuthorizerSharesTraceID(t *testing.T) {
	cfg := &AuthorizerConfig{Payload: "2.0", SimpleResponses: true, IdentitySource: IdentitySource{"$request.header.X-Token"}}
	f := newLambdaFixture(t, "http", cfg, reply(`{"isAuthorized":true}`))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	req := lambdaRequest("http", "7", "tok", "")
	req.TraceID = []byte("Root=1-5f84c7a1-0123456789abcdef01234567")
	if _, err := a.Authenticate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	f.fn.mu.Lock()
	defer f.fn.mu.Unlock()
	if len(f.fn.inv) != 1 || f.fn.inv[0].TraceID != string(req.TraceID) {
		t.Errorf("authorizer invocations %+v: want one with trace id %s", f.fn.inv, req.TraceID)
	}
}
