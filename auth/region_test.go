package auth

import (
	"context"
	"strings"
	"testing"
)

// TestARNRegionFromEnvironment: with no region in the config, the route ARN
// an authorizer sees has the region of AWS_REGION, as the ARNs of local
// functions do, so one process never shows two regions.
func TestARNRegionFromEnvironment(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-3")
	cfg := &AuthorizerConfig{Payload: "2.0", SimpleResponses: true, IdentitySource: IdentitySource{"$request.header.X-Token"}}
	f := newLambdaFixture(t, "http", cfg, reply(`{"isAuthorized":true}`))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	if _, err := a.Authenticate(context.Background(), lambdaRequest("http", "7", "tok", "")); err != nil {
		t.Fatal(err)
	}
	if ev := f.fn.lastEvent(); !strings.Contains(ev, `"routeArn":"arn:aws:execute-api:eu-west-3:123456789012:`) {
		t.Errorf("authorizer event %s: want the route ARN in eu-west-3", ev)
	}
}
