package auth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/backend"
)

// readExample decodes a file of testdata/aws-examples (copies of the shared
// AWS examples) into v.
func readExample(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "aws-examples", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// fakeInvoker is an in-test authorizer function: it answers each event with
// answer and counts invocations.
type fakeInvoker struct {
	calls  atomic.Int64
	mu     sync.Mutex
	events []string
	inv    []backend.Invocation
	answer func(ctx context.Context, event []byte) ([]byte, error)
}

var _ backend.Invoker = (*fakeInvoker)(nil)

func (f *fakeInvoker) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.events = append(f.events, string(inv.Event))
	f.inv = append(f.inv, backend.Invocation{Function: inv.Function, RequestID: inv.RequestID, TraceID: inv.TraceID})
	f.mu.Unlock()
	out, err := f.answer(ctx, inv.Event)
	return append(dst, out...), err
}

func (f *fakeInvoker) lastEvent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		return ""
	}
	return f.events[len(f.events)-1]
}

// reply returns a fakeInvoker answer that always gives out.
func reply(out string) func(context.Context, []byte) ([]byte, error) {
	return func(context.Context, []byte) ([]byte, error) { return []byte(out), nil }
}

// Proxy events as the gateway's encoder makes them (mapping's key order).
const (
	proxyV2 = `{"version":"2.0","routeKey":"GET /pets/{id}","rawPath":"/pets/7","rawQueryString":"user=u1",` +
		`"cookies":["c1=v1"],"headers":{"user-agent":"curl","x-token":"tok"},"queryStringParameters":{"user":"u1"},` +
		`"requestContext":{"accountId":"123456789012","apiId":"local","domainName":"localhost","domainPrefix":"localhost",` +
		`"http":{"method":"GET","path":"/pets/7","protocol":"HTTP/1.1","sourceIp":"192.0.2.1","userAgent":"curl"},` +
		`"requestId":"Mc7UVioPPHcEKPA=","routeKey":"GET /pets/{id}","stage":"$default","time":"12/Mar/2020:19:03:58 +0000",` +
		`"timeEpoch":1583348638390},"body":"hello","pathParameters":{"id":"7"},"isBase64Encoded":false,"stageVariables":{"env":"dev"}}`
	proxyV1 = `{"version":"1.0","resource":"/pets/{id}","path":"/pets/7","httpMethod":"GET",` +
		`"headers":{"user-agent":"curl","x-token":"tok"},"multiValueHeaders":{"user-agent":["curl"],"x-token":["tok"]},` +
		`"queryStringParameters":{"user":"u1"},"multiValueQueryStringParameters":{"user":["u1"]},` +
		`"requestContext":{"accountId":"123456789012","apiId":"local","domainName":"localhost","domainPrefix":"localhost",` +
		`"extendedRequestId":"Mc7UVioPPHcEKPA=","httpMethod":"GET","identity":{"accessKey":null,"accountId":null,"caller":null,` +
		`"cognitoAuthenticationProvider":null,"cognitoAuthenticationType":null,"cognitoIdentityId":null,"cognitoIdentityPoolId":null,` +
		`"principalOrgId":null,"sourceIp":"192.0.2.1","user":null,"userAgent":"curl","userArn":null},"path":"/pets/7",` +
		`"protocol":"HTTP/1.1","requestId":"Mc7UVioPPHcEKPA=","requestTime":"12/Mar/2020:19:03:58 +0000",` +
		`"requestTimeEpoch":1583348638390,"resourceId":null,"resourcePath":"/pets/{id}","stage":"$default"},` +
		`"pathParameters":{"id":"7"},"stageVariables":{"env":"dev"},"body":null,"isBase64Encoded":false}`
	proxyREST = `{"resource":"/pets/{id}","path":"/pets/7","httpMethod":"GET",` +
		`"headers":{"User-Agent":"curl","X-Token":"tok"},"multiValueHeaders":{"User-Agent":["curl"],"X-Token":["tok"]},` +
		`"queryStringParameters":null,"multiValueQueryStringParameters":null,` +
		`"requestContext":{"accountId":"111122223333","apiId":"abc123","domainName":"localhost","domainPrefix":"localhost",` +
		`"extendedRequestId":"Mc7UVioPPHcEKPA=","httpMethod":"GET","identity":{"accessKey":null,"accountId":null,"caller":null,` +
		`"cognitoAuthenticationProvider":null,"cognitoAuthenticationType":null,"cognitoIdentityId":null,"cognitoIdentityPoolId":null,` +
		`"principalOrgId":null,"sourceIp":"192.0.2.1","user":null,"userAgent":"curl","userArn":null,"apiKey":"k-value","apiKeyId":"abcdefghij"},` +
		`"path":"/dev/pets/7","protocol":"HTTP/1.1","requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef",` +
		`"requestTime":"12/Mar/2020:19:03:58 +0000","requestTimeEpoch":1583348638390,"resourceId":"2gxmpl",` +
		`"resourcePath":"/pets/{id}","stage":"dev"},"pathParameters":{"id":"7"},"stageVariables":null,"body":null,"isBase64Encoded":false}`
)

// lambdaFixture is a Set with one lambda authorizer ("custom").
type lambdaFixture struct {
	set   *Set
	fn    *fakeInvoker
	clock *clock
}

func newLambdaFixture(t testing.TB, api string, cfg *AuthorizerConfig, ans func(context.Context, []byte) ([]byte, error)) *lambdaFixture {
	t.Helper()
	f := &lambdaFixture{fn: &fakeInvoker{answer: ans}, clock: newClock()}
	opts := Options{API: api, Now: f.clock.Now, Invoker: func(name string) (backend.Invoker, error) {
		if name != "authfn" {
			return nil, backend.ErrFunctionNotFound
		}
		return f.fn, nil
	}}
	if api == "rest" {
		opts.Region, opts.AccountID, opts.APIID, opts.Stage = "eu-west-1", "111122223333", "abc123", "dev"
	}
	cfg.Type, cfg.Function = "lambda", "authfn"
	f.set = mustNew(t, map[string]*AuthorizerConfig{"custom": cfg}, nil, opts)
	return f
}

// lambdaRequest is a request for GET /pets/{n} carrying token in X-Token and
// user in ?user=.
func lambdaRequest(api, n, token, user string) *Request {
	h := map[string]string{"User-Agent": "curl"}
	if token != "\x00" {
		h["X-Token"] = token
	}
	q := map[string]string{}
	if user != "" {
		q["user"] = user
	}
	r := request(h, q)
	r.Path = []byte("/pets/" + n)
	ev := proxyV1
	switch api {
	case "rest":
		r.Path = []byte("/dev/pets/" + n)
		ev = proxyREST
	case "http2":
		ev = proxyV2
	}
	r.Event = func(format string, dst []byte) []byte {
		if format == "2.0" {
			return append(dst, proxyV2...)
		}
		return append(dst, ev...)
	}
	return r
}

const allowAll = `{"principalId":"user-9","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}}`

func TestLambdaEvents(t *testing.T) {
	// The ARNs below carry the default region.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	for _, tc := range []struct {
		name, api, payload string
		example            string
		extraKeys          []string // keys we send beyond the example's
		want               string
	}{
		{"http 2.0", "http", "2.0", "lambda-go.apigw-v2-custom-authorizer-v2-request.json", nil,
			`{"version":"2.0","type":"REQUEST","routeArn":"arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/pets/7",` +
				`"identitySource":["tok","u1"],"routeKey":"GET /pets/{id}","rawPath":"/pets/7","rawQueryString":"user=u1",` +
				`"cookies":["c1=v1"],"headers":{"user-agent":"curl","x-token":"tok"},"queryStringParameters":{"user":"u1"},` +
				`"requestContext":{"accountId":"123456789012","apiId":"local","domainName":"localhost","domainPrefix":"localhost",` +
				`"http":{"method":"GET","path":"/pets/7","protocol":"HTTP/1.1","sourceIp":"192.0.2.1","userAgent":"curl"},` +
				`"requestId":"Mc7UVioPPHcEKPA=","routeKey":"GET /pets/{id}","stage":"$default","time":"12/Mar/2020:19:03:58 +0000",` +
				`"timeEpoch":1583348638390},"pathParameters":{"id":"7"},"stageVariables":{"env":"dev"}}`},
		{"http 1.0", "http", "1.0", "lambda-go.apigw-v2-custom-authorizer-v1-request.json", []string{"multiValueHeaders", "multiValueQueryStringParameters"},
			`{"version":"1.0","type":"REQUEST","methodArn":"arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/pets/7",` +
				`"identitySource":"tok,u1","authorizationToken":"tok,u1","resource":"/pets/{id}","path":"/pets/7","httpMethod":"GET",` +
				`"headers":{"user-agent":"curl","x-token":"tok"},"multiValueHeaders":{"user-agent":["curl"],"x-token":["tok"]},` +
				`"queryStringParameters":{"user":"u1"},"multiValueQueryStringParameters":{"user":["u1"]},` +
				`"pathParameters":{"id":"7"},"stageVariables":{"env":"dev"},` +
				`"requestContext":{"path":"/pets/7","accountId":"123456789012","resourceId":null,"stage":"$default",` +
				`"requestId":"Mc7UVioPPHcEKPA=","identity":{"sourceIp":"192.0.2.1"},"resourcePath":"/pets/{id}","httpMethod":"GET","apiId":"local"}}`},
		{"rest", "rest", "", "lambda-go.apigw-custom-auth-request-type-request.json", nil,
			`{"type":"REQUEST","methodArn":"arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/pets/7",` +
				`"resource":"/pets/{id}","path":"/pets/7","httpMethod":"GET",` +
				`"headers":{"User-Agent":"curl","X-Token":"tok"},"multiValueHeaders":{"User-Agent":["curl"],"X-Token":["tok"]},` +
				`"queryStringParameters":null,"multiValueQueryStringParameters":null,"pathParameters":{"id":"7"},"stageVariables":null,` +
				`"requestContext":{"path":"/dev/pets/7","accountId":"111122223333","resourceId":"2gxmpl","stage":"dev",` +
				`"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef","identity":{"apiKey":"k-value","sourceIp":"192.0.2.1"},` +
				`"resourcePath":"/pets/{id}","httpMethod":"GET","apiId":"abc123"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &AuthorizerConfig{Payload: tc.payload, IdentitySource: IdentitySource{"$request.header.X-Token", "method.request.querystring.user"}}
			out := allowAll
			if tc.payload == "2.0" {
				out = `{"isAuthorized":true}`
				cfg.SimpleResponses = true
			}
			f := newLambdaFixture(t, tc.api, cfg, reply(out))
			a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
			if _, err := a.Authenticate(context.Background(), lambdaRequest(tc.api, "7", "tok", "u1")); err != nil {
				t.Fatal(err)
			}
			got := f.fn.lastEvent()
			if got != tc.want {
				t.Errorf("event:\ngot  %s\nwant %s", got, tc.want)
			}
			// The same keys as AWS's example, at the top and in requestContext.
			var example, ours map[string]json.RawMessage
			readExample(t, tc.example, &example)
			if err := json.Unmarshal([]byte(got), &ours); err != nil {
				t.Fatalf("event is not JSON: %v", err)
			}
			wantKeys := append(keysOf(example), tc.extraKeys...)
			slices.Sort(wantKeys)
			if g := keysOf(ours); !slices.Equal(g, wantKeys) {
				t.Errorf("keys:\ngot  %v\nwant %v", g, wantKeys)
			}
			var exRC, ourRC map[string]json.RawMessage
			json.Unmarshal(example["requestContext"], &exRC)
			json.Unmarshal(ours["requestContext"], &ourRC)
			if tc.api == "http" && tc.payload == "2.0" {
				delete(exRC, "authentication") // no client certificates here
			}
			if g, w := keysOf(ourRC), keysOf(exRC); !slices.Equal(g, w) {
				t.Errorf("requestContext keys:\ngot  %v\nwant %v", g, w)
			}
			f.fn.mu.Lock()
			inv := f.fn.inv[0]
			f.fn.mu.Unlock()
			if inv.Function != "authfn" || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(inv.RequestID) {
				t.Errorf("invocation: function %q, request id %q", inv.Function, inv.RequestID)
			}
		})
	}
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestLambdaSimpleResponses(t *testing.T) {
	for _, tc := range []struct {
		name, out      string
		ok             bool
		wantV2, wantV1 string
	}{
		{"allow with context", `{"isAuthorized":true,"context":{"user":"u1","n":1.5,"ok":true,"list":[1,"a"],"obj":{"k":"v"},"nil":null}}`, true,
			`{"lambda":{"list":[1,"a"],"n":1.5,"nil":null,"obj":{"k":"v"},"ok":true,"user":"u1"}}`,
			`{"list":"[1 a]","n":"1.5","obj":"{\"k\":\"v\"}","ok":"true","user":"u1","integrationLatency":0}`},
		{"allow without context", `{"isAuthorized":true}`, true, `{"lambda":null}`, `{"integrationLatency":0}`},
		{"deny", `{"isAuthorized":false,"context":{"user":"u1"}}`, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newLambdaFixture(t, "http", &AuthorizerConfig{SimpleResponses: true, IdentitySource: IdentitySource{"$request.header.X-Token"}}, reply(tc.out))
			a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
			res, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", "tok", ""))
			if !tc.ok {
				if k := kindOf(t, err); k != KindForbidden {
					t.Fatalf("got %v, want forbidden", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(res.AuthorizerV2) != tc.wantV2 {
				t.Errorf("AuthorizerV2:\ngot  %s\nwant %s", res.AuthorizerV2, tc.wantV2)
			}
			if string(res.AuthorizerV1) != tc.wantV1 {
				t.Errorf("AuthorizerV1:\ngot  %s\nwant %s", res.AuthorizerV1, tc.wantV1)
			}
			if res.Principal != "" {
				t.Errorf("Principal: got %q, want none", res.Principal)
			}
		})
	}
}

// TestLambdaV2Policy: payload 2.0 without simple responses takes an IAM
// policy, and its context may hold any JSON.
func TestLambdaV2Policy(t *testing.T) {
	out := `{"principalId":"u","policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow",` +
		`"Resource":"arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/pets/*"}]},"context":{"roles":["a","b"]}}`
	f := newLambdaFixture(t, "http", &AuthorizerConfig{Payload: "2.0"}, reply(out))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	res, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", "tok", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"lambda":{"roles":["a","b"]}}`; string(res.AuthorizerV2) != want {
		t.Errorf("AuthorizerV2: got %s, want %s", res.AuthorizerV2, want)
	}
	if want := `{"principalId":"u","roles":"[a b]","integrationLatency":0}`; string(res.AuthorizerV1) != want {
		t.Errorf("AuthorizerV1: got %s, want %s", res.AuthorizerV1, want)
	}
	res2, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", "tok", ""))
	if err != nil || res2 == res {
		t.Errorf("second request (no cache): %v, same Result %v", err, res2 == res)
	}
	r := mustRoute(t, f.set, "custom", nil, "POST /orders")
	req := lambdaRequest("http2", "7", "tok", "")
	req.Method = "POST"
	if _, err := r.Authenticate(context.Background(), req); kindOf(t, err) != KindForbidden {
		t.Errorf("POST: got %v, want forbidden", err)
	}
}

// TestLambdaContextShape checks the 2.0 lambda authorizer object against the
// AWS example event.
func TestLambdaContextShape(t *testing.T) {
	var example struct {
		RequestContext struct {
			Authorizer json.RawMessage `json:"authorizer"`
		} `json:"requestContext"`
	}
	readExample(t, "lambda-go.apigw-v2-request-lambda-authorizer.json", &example)
	f := newLambdaFixture(t, "http", &AuthorizerConfig{SimpleResponses: true}, reply(`{"isAuthorized":true,"context":{"key":"value"}}`))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	res, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", "tok", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, res.AuthorizerV2, example.RequestContext.Authorizer) {
		t.Errorf("AuthorizerV2:\ngot  %s\nwant %s", res.AuthorizerV2, example.RequestContext.Authorizer)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestLambdaPolicies(t *testing.T) {
	// {P} is the ARN of the API's stage: {P}/GET/pets/7 is the request's.
	prefix := map[string]string{
		"rest": "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev",
		"http": "arn:aws:execute-api:us-east-1:123456789012:local/$default",
	}
	policy := func(stmts ...string) string {
		return `{"principalId":"user-9","policyDocument":{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]},"context":{"tenant":"t1"}}`
	}
	stmt := func(effect, resource string) string {
		return `{"Action":"execute-api:Invoke","Effect":"` + effect + `","Resource":` + resource + `}`
	}
	for _, tc := range []struct {
		name, out string
		rest      Kind // on a REST API
		http      Kind // on an HTTP API (payload 1.0)
	}{
		{"allow exact", policy(stmt("Allow", `"{P}/GET/pets/7"`)), 0, 0},
		{"allow list", policy(stmt("Allow", `["arn:x","{P}/GET/pets/7"]`)), 0, 0},
		{"allow stage and method wildcard", policy(stmt("Allow", `"arn:aws:execute-api:*:*:*/*/*/pets/*"`)), 0, 0},
		{"allow ?", policy(stmt("Allow", `"{P}/GET/pets/?"`)), 0, 0},
		{"allow all methods of the stage", policy(stmt("Allow", `"{P}/*"`)), 0, 0},
		{"allow other method", policy(stmt("Allow", `"{P}/POST/pets/7"`)), KindImplicitDeny, KindForbidden},
		{"allow other path", policy(stmt("Allow", `"{P}/GET/pets/8"`)), KindImplicitDeny, KindForbidden},
		{"allow prefix only", policy(stmt("Allow", `"{P}/GET/pets"`)), KindImplicitDeny, KindForbidden},
		{"allow is case-sensitive", policy(stmt("Allow", `"{P}/get/pets/7"`)), KindImplicitDeny, KindForbidden},
		{"deny wins", policy(stmt("Allow", `"*"`), stmt("Deny", `"arn:aws:execute-api:*:*:*/*/GET/*"`)), KindExplicitDeny, KindForbidden},
		{"deny first, allow after", policy(stmt("Deny", `"{P}/GET/pets/7"`), stmt("Allow", `"{P}/GET/pets/7"`)), KindExplicitDeny, KindForbidden},
		{"deny elsewhere", policy(stmt("Allow", `"*"`), stmt("Deny", `"{P}/DELETE/*"`)), 0, 0},
		{"no statements", policy(), KindImplicitDeny, KindForbidden},
		{"other action", policy(`{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}`), KindImplicitDeny, KindForbidden},
		{"action wildcard", policy(`{"Action":["execute-api:*"],"Effect":"Allow","Resource":"*"}`), 0, 0},
	} {
		for _, api := range []string{"rest", "http"} {
			t.Run(tc.name+"/"+api, func(t *testing.T) {
				cfg := &AuthorizerConfig{IdentitySource: IdentitySource{"method.request.header.X-Token"}}
				if api == "http" {
					cfg.Payload = "1.0"
				}
				f := newLambdaFixture(t, api, cfg, reply(strings.ReplaceAll(tc.out, "{P}", prefix[api])))
				a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
				res, err := a.Authenticate(context.Background(), lambdaRequest(api, "7", "tok", ""))
				want := tc.rest
				if api == "http" {
					want = tc.http
				}
				if got := kindOf(t, err); got != want {
					t.Fatalf("got %v, want %v", err, want)
				}
				if want == 0 {
					if wantV1 := `{"principalId":"user-9","tenant":"t1","integrationLatency":0}`; string(res.AuthorizerV1) != wantV1 {
						t.Errorf("AuthorizerV1:\ngot  %s\nwant %s", res.AuthorizerV1, wantV1)
					}
					if wantV2 := `{"lambda":{"tenant":"t1"}}`; string(res.AuthorizerV2) != wantV2 {
						t.Errorf("AuthorizerV2:\ngot  %s\nwant %s", res.AuthorizerV2, wantV2)
					}
					if res.Principal != "user-9" {
						t.Errorf("Principal: got %q, want user-9", res.Principal)
					}
				}
			})
		}
	}
}

// TestLambdaExampleResponse runs AWS's example authorizer response (its
// placeholders filled in).
func TestLambdaExampleResponse(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "aws-examples", "lambda-go.apigw-custom-auth-response.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.NewReplacer(`"Allow|Deny"`, `"Allow"`,
		`arn:aws:execute-api:{regionId}:{accountId}:{appId}/{stage}/{httpVerb}/[{resource}/[child-resources]]`,
		`arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/pets/*`).Replace(string(data))
	f := newLambdaFixture(t, "rest", &AuthorizerConfig{}, reply(out))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	res, err := a.Authenticate(context.Background(), lambdaRequest("rest", "7", "tok", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"principalId":"yyyyyyyy","booleanKey":"true","numberKey":"1","stringKey":"value","integrationLatency":0}`
	if string(res.AuthorizerV1) != want {
		t.Errorf("AuthorizerV1:\ngot  %s\nwant %s", res.AuthorizerV1, want)
	}
	// The placeholder effect is no effect.
	f.fn.answer = reply(string(data))
	if _, err := a.Authenticate(context.Background(), lambdaRequest("rest", "7", "tok", "")); kindOf(t, err) != KindFailure {
		t.Errorf(`Effect "Allow|Deny": got %v, want failure`, err)
	}
}

func TestLambdaCache(t *testing.T) {
	cfg := &AuthorizerConfig{SimpleResponses: true, ResultTTL: 300 * time.Second, IdentitySource: IdentitySource{"$request.header.X-Token"}}
	f := newLambdaFixture(t, "http", cfg, func(_ context.Context, ev []byte) ([]byte, error) {
		var e struct{ IdentitySource []string }
		json.Unmarshal(ev, &e)
		return []byte(`{"isAuthorized":` + map[bool]string{true: "true", false: "false"}[e.IdentitySource[0] != "bad"] + `,"context":{"who":"` + e.IdentitySource[0] + `"}}`), nil
	})
	pets := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	other := mustRoute(t, f.set, "custom", nil, "POST /orders")
	ctx := context.Background()
	step := func(a *Authenticator, token string, wantCalls int64, wantOK bool) {
		t.Helper()
		res, err := a.Authenticate(ctx, lambdaRequest("http2", "7", token, ""))
		if (err == nil) != wantOK {
			t.Errorf("token %s: got %v, want ok %v", token, err, wantOK)
		}
		if err == nil && !strings.Contains(string(res.AuthorizerV2), `"who":"`+token+`"`) {
			t.Errorf("token %s: context of another identity: %s", token, res.AuthorizerV2)
		}
		if got := f.fn.calls.Load(); got != wantCalls {
			t.Errorf("token %s: invocations: got %d, want %d", token, got, wantCalls)
		}
	}
	step(pets, "a", 1, true)
	step(pets, "a", 1, true)
	step(other, "a", 1, true) // a simple answer covers every route
	step(pets, "b", 2, true)
	step(pets, "bad", 3, false)
	step(pets, "bad", 3, false) // denials are cached too
	f.clock.Advance(299 * time.Second)
	step(pets, "a", 3, true)
	f.clock.Advance(2 * time.Second)
	step(pets, "a", 4, true)
	if got := f.set.Stats()["lambda_cache_hits"]; got != 4 {
		t.Errorf("lambda_cache_hits: got %d, want 4", got)
	}
}

// TestLambdaCachedPolicy reproduces API Gateway's "cached policy covers only
// the first resource" behaviour: the cached policy is evaluated again for
// each method ARN.
func TestLambdaCachedPolicy(t *testing.T) {
	first := `{"principalId":"u","policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow",` +
		`"Resource":"arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/pets/1"}]}}`
	cfg := &AuthorizerConfig{ResultTTL: time.Minute, IdentitySource: IdentitySource{"method.request.header.X-Token"}}
	f := newLambdaFixture(t, "rest", cfg, reply(first))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, lambdaRequest("rest", "1", "tok", "")); err != nil {
		t.Fatalf("/pets/1: %v", err)
	}
	if _, err := a.Authenticate(ctx, lambdaRequest("rest", "2", "tok", "")); kindOf(t, err) != KindImplicitDeny {
		t.Errorf("/pets/2 within the TTL: got %v, want implicit deny", err)
	}
	if got := f.fn.calls.Load(); got != 1 {
		t.Errorf("invocations: got %d, want 1", got)
	}

	// With $context.routeKey among the identity sources, each route caches
	// its own answer.
	cfg = &AuthorizerConfig{SimpleResponses: true, ResultTTL: time.Minute, IdentitySource: IdentitySource{"$request.header.X-Token", "$context.routeKey"}}
	f = newLambdaFixture(t, "http", cfg, reply(`{"isAuthorized":true}`))
	for _, rk := range []string{"GET /pets/{id}", "POST /orders", "GET /pets/{id}"} {
		mustRoute(t, f.set, "custom", nil, rk).Authenticate(ctx, lambdaRequest("http2", "1", "tok", ""))
	}
	if got := f.fn.calls.Load(); got != 2 {
		t.Errorf("invocations with routeKey in the cache key: got %d, want 2", got)
	}
}

func TestLambdaIdentitySources(t *testing.T) {
	cfg := &AuthorizerConfig{ResultTTL: time.Minute, IdentitySource: IdentitySource{"$request.header.X-Token", "$request.querystring.user"}}
	f := newLambdaFixture(t, "http", cfg, reply(allowAll))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	for _, tc := range []struct {
		name, token, user string
	}{
		{"no header", "\x00", "u1"},
		{"empty header", "", "u1"},
		{"no query parameter", "tok", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", tc.token, tc.user))
			if kindOf(t, err) != KindUnauthorized {
				t.Errorf("got %v, want 401", err)
			}
			if got := f.fn.calls.Load(); got != 0 {
				t.Errorf("invocations: got %d, want 0", got)
			}
		})
	}
	// Accessors may share one buffer, as the gateway's do: each value is
	// copied before the next is read.
	shared := func(r *Request) *Request {
		var scratch []byte
		h, q := r.Header, r.Query
		r.Header = func(n string) []byte { scratch = append(scratch[:0], h(n)...); return scratch }
		r.Query = func(n string) []byte { scratch = append(scratch[:0], q(n)...); return scratch }
		return r
	}
	if _, err := a.Authenticate(context.Background(), shared(lambdaRequest("http2", "7", "tok-1", "u1"))); err != nil {
		t.Fatal(err)
	}
	if ev := f.fn.lastEvent(); !strings.Contains(ev, `"identitySource":["tok-1","u1"]`) {
		t.Errorf("identity values through a shared buffer: %s", ev)
	}
	f.fn.calls.Store(0)

	// Values are told apart, not concatenated.
	for _, v := range [][2]string{{"ab", "c"}, {"a", "bc"}} {
		if _, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", v[0], v[1])); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.fn.calls.Load(); got != 2 {
		t.Errorf("invocations for (ab,c) and (a,bc): got %d, want 2", got)
	}

	// Without identity sources (and without caching) it runs every time.
	f = newLambdaFixture(t, "http", &AuthorizerConfig{}, reply(allowAll))
	a = mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	for range 2 {
		if _, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", "\x00", "")); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.fn.calls.Load(); got != 2 {
		t.Errorf("invocations without identity sources: got %d, want 2", got)
	}
	if ev := f.fn.lastEvent(); !strings.Contains(ev, `"identitySource":[]`) {
		t.Errorf("event without identity sources: %s", ev)
	}
}

func TestLambdaStageARN(t *testing.T) {
	for _, tc := range []struct{ api, stage, path, want string }{
		{"rest", "dev", "/dev/pets/7", "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/pets/7"},
		{"rest", "dev", "/dev", "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/"},
		{"rest", "dev", "/dev/", "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/"},
		{"rest", "dev", "/devx/a%2Fb", "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/devx/a%2Fb"},
		{"http", "$default", "/pets/7", "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/pets/7"},
		{"http", "$default", "/", "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/"},
	} {
		f := newLambdaFixture(t, tc.api, &AuthorizerConfig{}, reply(allowAll))
		r := mustRoute(t, f.set, "custom", nil, "ANY /{proxy+}").lambda
		req := request(nil, nil)
		req.Path = []byte(tc.path)
		if got := string(r.appendARN(nil, req)); got != tc.want {
			t.Errorf("%s %s: got %s, want %s", tc.api, tc.path, got, tc.want)
		}
	}
}

func TestLambdaFailures(t *testing.T) {
	fnErr := func(typ, msg string) func(context.Context, []byte) ([]byte, error) {
		return func(context.Context, []byte) ([]byte, error) { return nil, backend.NewFunctionError(typ, msg) }
	}
	for _, tc := range []struct {
		name    string
		api     string // rest, http (1.0) or simple (2.0, simple responses)
		ans     func(context.Context, []byte) ([]byte, error)
		want    Kind
		wantErr any // *backend.FunctionError or *backend.InvokeError when the cause must unwrap to it
	}{
		{"Unauthorized", "rest", fnErr("Error", "Unauthorized"), KindUnauthorized, new(*backend.FunctionError)},
		{"Unauthorized on http", "simple", fnErr("Error", "Unauthorized"), KindUnauthorized, nil},
		{"unauthorized, lower case", "rest", fnErr("Error", "unauthorized"), KindFailure, nil},
		{"crash", "rest", fnErr("Runtime.ExitError", "exit status 2"), KindFailure, new(*backend.FunctionError)},
		{"unavailable", "simple", func(context.Context, []byte) ([]byte, error) {
			return nil, &backend.InvokeError{Kind: backend.KindUnavailable}
		}, KindFailure, new(*backend.InvokeError)},
		{"timeout", "simple", func(ctx context.Context, _ []byte) ([]byte, error) {
			<-ctx.Done()
			return nil, &backend.InvokeError{Kind: backend.KindTimeout, Err: ctx.Err()}
		}, KindFailure, new(*backend.InvokeError)},
		{"not JSON", "simple", reply("ok"), KindFailure, nil},
		{"a list", "simple", reply("[]"), KindFailure, nil},
		{"null", "simple", reply("null"), KindFailure, nil},
		{"empty", "rest", reply(""), KindFailure, nil},
		{"trailing data", "simple", reply(`{"isAuthorized":true} {}`), KindFailure, nil},
		{"isAuthorized a string", "simple", reply(`{"isAuthorized":"true"}`), KindFailure, nil},
		{"isAuthorized missing", "simple", reply(`{"context":{}}`), KindFailure, nil},
		{"policy missing", "rest", reply(`{"principalId":"u"}`), KindFailure, nil},
		{"principalId missing (rest)", "rest", reply(`{"policyDocument":{"Statement":[]}}`), KindFailure, nil},
		{"principalId a number", "http", reply(`{"principalId":1,"policyDocument":{"Statement":[]}}`), KindFailure, nil},
		{"context an object value (rest)", "rest", reply(`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"a":{"b":1}}}`), KindFailure, nil},
		{"context a list value (http 1.0)", "http", reply(`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"a":[1]}}`), KindFailure, nil},
		{"context claims (http 1.0)", "http", reply(`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"claims":"x"}}`), KindFailure, nil},
		{"context not an object", "simple", reply(`{"isAuthorized":true,"context":"x"}`), KindFailure, nil},
		{"bad effect", "rest", reply(`{"principalId":"u","policyDocument":{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}}`), KindFailure, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &AuthorizerConfig{}
			api := tc.api
			switch tc.api {
			case "simple":
				cfg.SimpleResponses, api = true, "http"
			case "http":
				cfg.Payload = "1.0"
			}
			f := newLambdaFixture(t, api, cfg, tc.ans)
			a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := a.Authenticate(ctx, lambdaRequest(map[string]string{"rest": "rest", "http": "http", "simple": "http2"}[tc.api], "7", "tok", ""))
			if got := kindOf(t, err); got != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.wantErr != nil && !errors.As(err, tc.wantErr) {
				t.Errorf("%v does not unwrap to %T", err, tc.wantErr)
			}
			if tc.name == "timeout" && !backend.IsKind(err, backend.KindTimeout) {
				t.Errorf("%v is not a timeout", err)
			}
		})
	}
}

func TestLambdaNew(t *testing.T) {
	inv := func(string) (backend.Invoker, error) { return &fakeInvoker{}, nil }
	for _, tc := range []struct {
		name string
		api  string
		cfg  AuthorizerConfig
		opts Options
		want string
	}{
		{"rest with payload 2.0", "rest", AuthorizerConfig{Type: "lambda", Function: "f", Payload: "2.0"}, Options{Invoker: inv}, "a REST API sends the REST REQUEST event"},
		{"rest with simple responses", "rest", AuthorizerConfig{Type: "lambda", Function: "f", SimpleResponses: true}, Options{Invoker: inv}, "a REST API sends the REST REQUEST event"},
		{"no invoker", "http", AuthorizerConfig{Type: "lambda", Function: "f"}, Options{}, `no invoker for function "f"`},
		{"unknown function", "http", AuthorizerConfig{Type: "lambda", Function: "f"}, Options{Invoker: func(string) (backend.Invoker, error) {
			return nil, backend.ErrFunctionNotFound
		}}, `function "f": backend: function not found`},
		{"ttl without source", "http", AuthorizerConfig{Type: "lambda", Function: "f", ResultTTL: time.Second}, Options{Invoker: inv}, "resultTtl needs an identity source"},
		{"bad source", "http", AuthorizerConfig{Type: "lambda", Function: "f", IdentitySource: IdentitySource{"$request.path.id"}}, Options{Invoker: inv}, "path parameters cannot be identity sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.API = tc.api
			_, err := New(map[string]*AuthorizerConfig{"custom": &tc.cfg}, nil, tc.opts)
			if err == nil || !strings.Contains(err.Error(), "authorizers.custom: "+tc.want) {
				t.Errorf("got %v, want …%s", err, tc.want)
			}
		})
	}
}

func TestLambdaConcurrent(t *testing.T) {
	cfg := &AuthorizerConfig{SimpleResponses: true, ResultTTL: time.Minute, IdentitySource: IdentitySource{"$request.header.X-Token"}}
	f := newLambdaFixture(t, "http", cfg, reply(`{"isAuthorized":true,"context":{"k":"v"}}`))
	a := mustRoute(t, f.set, "custom", nil, "GET /pets/{id}")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				if _, err := a.Authenticate(context.Background(), lambdaRequest("http2", "7", string(rune('a'+(i+j)%5)), "")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if calls := f.fn.calls.Load(); calls < 5 || calls > 40 {
		t.Errorf("invocations: got %d, want about 5", calls)
	}
}
