package gateway

import "testing"

// TestPolicySeesThePathThatChoseTheRoute: a Lambda authorizer's policy is
// evaluated against the decoded path that selected the route, so an
// encoded spelling of a denied path is denied too.
func TestPolicySeesThePathThatChoseTheRoute(t *testing.T) {
	g := startGateway(t, `
api: rest
stage: dev
authorizers:
  policy: {type: lambda, function: pol, identitySource: ["method.request.header.X-Token"]}
functions:
  echo: {backend: builtin, handler: echo}
  pol:
    backend: builtin
    handler: mock
    response:
      principalId: ann
      policyDocument:
        Version: "2012-10-17"
        Statement:
          - {Action: "execute-api:Invoke", Effect: Allow, Resource: "arn:aws:execute-api:*:*:*/dev/GET/pets/*"}
          - {Action: "execute-api:Invoke", Effect: Deny, Resource: "arn:aws:execute-api:*:*:*/dev/GET/pets/secret"}
routes:
  - {route: "GET /pets/{id}", function: echo, authorizer: policy}
`)
	h := map[string]string{"X-Token": "t"}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/dev/pets/other", 200},
		{"/dev/pets/secret", 403},
		{"/dev/pets/%73ecret", 403},
		{"/dev/pets/%73%65cret", 403},
	} {
		if r := do(t, "GET", g.url+tc.path, h, ""); r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.want)
		}
	}
}
