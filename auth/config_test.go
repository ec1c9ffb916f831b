package auth

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/config"
	"github.com/portico/portico/internal/fielderr"
)

// messages returns errs as "path: message" strings, each checked to be a
// *fielderr.Error.
func messages(t *testing.T, errs []error) []string {
	t.Helper()
	var out []string
	for _, err := range errs {
		var fe *fielderr.Error
		if !errors.As(err, &fe) {
			t.Errorf("%T %v is not a *fielderr.Error", err, err)
		}
		out = append(out, err.Error())
	}
	return out
}

func TestAuthorizerValidate(t *testing.T) {
	jwt := func(mod func(*AuthorizerConfig)) AuthorizerConfig {
		c := AuthorizerConfig{Type: "jwt", Issuer: "https://id.example.com/", Audience: []string{"api"}}
		mod(&c)
		return c
	}
	lambda := func(mod func(*AuthorizerConfig)) AuthorizerConfig {
		c := AuthorizerConfig{Type: "lambda", Function: "authfn"}
		mod(&c)
		return c
	}
	for _, tc := range []struct {
		name string
		cfg  AuthorizerConfig
		want []string
	}{
		{"jwt", jwt(func(*AuthorizerConfig) {}), nil},
		{"jwt with everything", jwt(func(c *AuthorizerConfig) {
			c.Issuer, c.JWKSURI, c.Leeway = "issuer-id", "http://127.0.0.1:9/jwks", 30*time.Second
			c.IdentitySource = IdentitySource{"method.request.header.Authorization"}
		}), nil},
		{"lambda", lambda(func(c *AuthorizerConfig) {
			c.Payload, c.SimpleResponses, c.ResultTTL = "2.0", true, time.Hour
			c.IdentitySource = IdentitySource{"$request.header.X-Token", "$request.querystring.t", "$context.routeKey", "$stageVariables.v",
				"method.request.header.X", "method.request.querystring.q", "context.identity.sourceIp", "stageVariables.w"}
		}), nil},
		{"apikey", AuthorizerConfig{Type: "apikey"}, nil},

		{"no type", AuthorizerConfig{}, []string{"type: required (jwt, lambda, apikey or deny)"}},
		{"unknown type", AuthorizerConfig{Type: "cognito"}, []string{`type: unknown authorizer type "cognito" (want jwt, lambda, apikey or deny)`}},
		{"jwt field on apikey", AuthorizerConfig{Type: "apikey", Issuer: "x", IdentitySource: IdentitySource{"$request.header.A"}},
			[]string{"issuer: not used by type apikey", "identitySource: not used by type apikey"}},
		{"lambda fields on jwt", jwt(func(c *AuthorizerConfig) { c.Function, c.ResultTTL = "f", time.Second }),
			[]string{"function: not used by type jwt", "resultTtl: not used by type jwt"}},
		{"jwt fields on lambda", lambda(func(c *AuthorizerConfig) { c.Audience, c.Leeway = []string{}, time.Second }),
			[]string{"audience: not used by type lambda", "leeway: not used by type lambda"}},

		{"no issuer", jwt(func(c *AuthorizerConfig) { c.Issuer = "" }), []string{"issuer: required: the token's iss claim, e.g. https://id.example.com/"}},
		{"issuer no URL, no jwksUri", jwt(func(c *AuthorizerConfig) { c.Issuer = "my-idp" }),
			[]string{`issuer: want an http(s) URL publishing OpenID discovery, or set jwksUri; got "my-idp"`}},
		{"bad jwksUri", jwt(func(c *AuthorizerConfig) { c.JWKSURI = "ftp://x/jwks" }), []string{`jwksUri: want an absolute http:// or https:// URL, got "ftp://x/jwks"`}},
		{"no audience", jwt(func(c *AuthorizerConfig) { c.Audience = nil }), []string{"audience: required: at least one accepted audience"}},
		{"empty audience", jwt(func(c *AuthorizerConfig) { c.Audience = []string{"a", ""} }), []string{"audience[1]: must not be empty"}},
		{"51 audiences", jwt(func(c *AuthorizerConfig) { c.Audience = slices.Repeat([]string{"a"}, 51) }), []string{"audience: 51 entries: API Gateway allows at most 50"}},
		{"negative leeway", jwt(func(c *AuthorizerConfig) { c.Leeway = -time.Second }), []string{"leeway: must not be negative"}},
		{"huge leeway", jwt(func(c *AuthorizerConfig) { c.Leeway = time.Hour }), []string{"leeway: at most 5m0s"}},
		{"two jwt sources", jwt(func(c *AuthorizerConfig) {
			c.IdentitySource = IdentitySource{"$request.header.A", "$request.header.B"}
		}), []string{"identitySource: a jwt authorizer takes one identity source, got 2"}},
		{"jwt from context", jwt(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"$context.routeKey"} }),
			[]string{"identitySource[0]: a jwt authorizer reads the token from a header or a query parameter"}},

		{"no function", lambda(func(c *AuthorizerConfig) { c.Function = "" }), []string{"function: required: the authorizer function's name in functions:"}},
		{"bad payload", lambda(func(c *AuthorizerConfig) { c.Payload = "2" }), []string{`payload: want "2.0" or "1.0", got "2"`}},
		{"simple on 1.0", lambda(func(c *AuthorizerConfig) { c.Payload, c.SimpleResponses = "1.0", true }),
			[]string{`simpleResponses: needs payload "2.0": 1.0 authorizers answer with an IAM policy`}},
		{"ttl too long", lambda(func(c *AuthorizerConfig) {
			c.ResultTTL, c.IdentitySource = 3601*time.Second, IdentitySource{"$request.header.A"}
		}), []string{"resultTtl: at most 3600s (API Gateway's limit)"}},
		{"negative ttl", lambda(func(c *AuthorizerConfig) { c.ResultTTL = -1 }), []string{"resultTtl: must not be negative"}},
		{"ttl without source", lambda(func(c *AuthorizerConfig) { c.ResultTTL = time.Second }),
			[]string{"identitySource: required when resultTtl is set: the cache is keyed by the identity sources"}},
		{"path parameter source", lambda(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"method.request.path.id"} }),
			[]string{"identitySource[0]: path parameters cannot be identity sources (API Gateway refuses them)"}},
		{"unknown source", lambda(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"ok", "Authorization"} }),
			[]string{
				`identitySource[0]: unknown identity source "ok": want $request.header.NAME, $request.querystring.NAME, $context.VAR or $stageVariables.NAME (or the REST forms method.request.header.NAME, method.request.querystring.NAME, context.VAR, stageVariables.NAME)`,
				`identitySource[1]: unknown identity source "Authorization": want $request.header.NAME, $request.querystring.NAME, $context.VAR or $stageVariables.NAME (or the REST forms method.request.header.NAME, method.request.querystring.NAME, context.VAR, stageVariables.NAME)`,
			}},
		{"empty header name", lambda(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"$request.header."} }),
			[]string{`identitySource[0]: "$request.header." names no header`}},
		{"bad header name", lambda(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"$request.header.X Token"} }),
			[]string{`identitySource[0]: "X Token" is not a valid header name`}},
		{"unknown context variable", lambda(func(c *AuthorizerConfig) { c.IdentitySource = IdentitySource{"$context.authorizer.x"} }),
			[]string{"identitySource[0]: $context.authorizer.x is not available to authorizers (use accountId, apiId, httpMethod, identity.sourceIp, path, requestId, resourcePath, routeKey or stage)"}},
		{"11 sources", lambda(func(c *AuthorizerConfig) { c.IdentitySource = slices.Repeat(IdentitySource{"$request.header.A"}, 11) }),
			[]string{"identitySource: 11 sources: at most 10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(t, tc.cfg.Validate())
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestAPIKeyValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  APIKeyConfig
		want []string
	}{
		{"ok", APIKeyConfig{Name: "partner-a", Value: "0123456789abcdefghij", UsagePlan: "gold"}, nil},
		{"short dev key", APIKeyConfig{Name: "dev", Value: "dev-key"}, nil},
		{"nothing", APIKeyConfig{}, []string{"name: required", `value: required, e.g. "${PARTNER_A_KEY}"`}},
		{"long name", APIKeyConfig{Name: strings.Repeat("n", 1025), Value: "v"}, []string{"name: at most 1024 characters"}},
		{"long value", APIKeyConfig{Name: "n", Value: strings.Repeat("v", 129)}, []string{"value: 129 characters: at most 128"}},
		{"space", APIKeyConfig{Name: "n", Value: "secret value"}, []string{"value: only visible ASCII characters other than a comma (character 7 is not)"}},
		{"comma", APIKeyConfig{Name: "n", Value: "a,b"}, []string{"value: only visible ASCII characters other than a comma (character 2 is not)"}},
		{"non-ASCII", APIKeyConfig{Name: "n", Value: "clé"}, []string{"value: only visible ASCII characters other than a comma (character 3 is not)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(t, tc.key.Validate())
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			for _, m := range got {
				if tc.key.Value != "" && len(tc.key.Value) > 2 && strings.Contains(m, tc.key.Value) {
					t.Errorf("message shows the key: %s", m)
				}
			}
		})
	}
}

// TestIdentitySourceDecode: the config decoder takes a string or a list
// for an identity source, as the field's tag asks.
func TestIdentitySourceDecode(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		want    IdentitySource
		wantErr string
	}{
		{`identitySource: "$request.header.Authorization"`, IdentitySource{"$request.header.Authorization"}, ""},
		{`identitySource: ["$request.header.A", method.request.querystring.b]`, IdentitySource{"$request.header.A", "method.request.querystring.b"}, ""},
		{`identitySource: []`, IdentitySource{}, ""},
		{`identitySource: null`, nil, ""},
		{`identitySource: {a: b}`, nil, "c.yaml:1:17: identitySource: expected a list or a single value, got a mapping"},
		{`identitySource: [a, [b]]`, nil, "c.yaml:1:21: identitySource[1]: expected a string, got a list"},
	} {
		var a AuthorizerConfig
		_, err := config.Decode("c.yaml", []byte(tc.doc), &a)
		switch {
		case tc.wantErr != "":
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: got %v, want %s", tc.doc, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.doc, err)
		case !slices.Equal(a.IdentitySource, tc.want) || (a.IdentitySource == nil) != (tc.want == nil):
			t.Errorf("%s: got %#v, want %#v", tc.doc, a.IdentitySource, tc.want)
		}
	}
}

// TestExampleConfig decodes configs/auth.yaml strictly with this package's
// types, validates every authorizer and key, and builds a Set from it.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "auth.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Listen      string                       `yaml:"listen"`
		Functions   map[string]any               `yaml:"functions"`
		Authorizers map[string]*AuthorizerConfig `yaml:"authorizers"`
		APIKeys     []APIKeyConfig               `yaml:"apiKeys"`
		UsagePlans  map[string]any               `yaml:"usagePlans"`
		Routes      []struct {
			Route      string   `yaml:"route"`
			Function   string   `yaml:"function"`
			Authorizer string   `yaml:"authorizer"`
			Scopes     []string `yaml:"scopes"`
		} `yaml:"routes"`
	}
	unset := func(string) (string, bool) { return "", false }
	if _, err := config.Decode("auth.yaml", data, &cfg, config.WithLookup(unset)); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for name, a := range cfg.Authorizers {
		types[a.Type] = true
		for _, err := range a.Validate() {
			t.Errorf("authorizers.%s.%v", name, err)
		}
		if a.Type == "lambda" && cfg.Functions[a.Function] == nil {
			t.Errorf("authorizers.%s: function %q is not in functions:", name, a.Function)
		}
	}
	if len(types) != 3 {
		t.Errorf("authorizer types: got %v, want jwt, lambda and apikey", types)
	}
	for i, k := range cfg.APIKeys {
		for _, err := range k.Validate() {
			t.Errorf("apiKeys[%d].%v", i, err)
		}
		if k.UsagePlan != "" && cfg.UsagePlans[k.UsagePlan] == nil {
			t.Errorf("apiKeys[%d]: no usage plan %q", i, k.UsagePlan)
		}
	}
	// The JWKS placeholder is not fetched: the client fails at once.
	client := &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") })}
	s := mustNew(t, cfg.Authorizers, cfg.APIKeys, Options{HTTPClient: client,
		Invoker: func(string) (backend.Invoker, error) { return &fakeInvoker{}, nil }})
	for _, r := range cfg.Routes {
		if _, err := s.ForRoute(r.Authorizer, r.Scopes, r.Route); err != nil {
			t.Errorf("route %s: %v", r.Route, err)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestForRoute(t *testing.T) {
	s := mustNew(t, map[string]*AuthorizerConfig{"keys": {Type: "apikey"}}, nil, Options{})
	if a, err := s.ForRoute("", []string{"x"}, "GET /"); a != nil || err != nil {
		t.Errorf(`ForRoute(""): got %v, %v; want nil, nil`, a, err)
	}
	if _, err := s.ForRoute("nope", nil, "GET /"); err == nil || err.Error() != `auth: unknown authorizer "nope"` {
		t.Errorf("unknown authorizer: got %v", err)
	}
	if _, err := New(nil, nil, Options{API: "websocket"}); err == nil {
		t.Errorf("api websocket: got no error")
	}
	if _, err := New(map[string]*AuthorizerConfig{"x": nil}, nil, Options{}); err == nil {
		t.Errorf("nil authorizer: got no error")
	}
	// New checks again what would weaken a jwt authorizer if Validate had
	// not run.
	for _, c := range []AuthorizerConfig{
		{Type: "jwt", Audience: []string{"api"}, JWKSURI: "http://127.0.0.1:1/jwks"},
		{Type: "jwt", Issuer: "x", JWKSURI: "http://127.0.0.1:1/jwks"},
		{Type: "jwt", Issuer: "x", Audience: []string{"api"}},
		{Type: "jwt", Issuer: "x", Audience: []string{"api"}, JWKSURI: "http://127.0.0.1:1/jwks", IdentitySource: IdentitySource{"$context.stage"}},
	} {
		if _, err := New(map[string]*AuthorizerConfig{"x": &c}, nil, Options{}); err == nil {
			t.Errorf("New(%+v): got no error", c)
		}
	}
}

func TestKindString(t *testing.T) {
	want := map[Kind]string{
		0: "unknown", KindUnauthorized: "unauthorized", KindForbidden: "forbidden", KindExplicitDeny: "explicit_deny",
		KindImplicitDeny: "implicit_deny", KindInsufficientScope: "insufficient_scope", KindFailure: "failure", 99: "unknown",
	}
	for k, w := range want {
		if got := k.String(); got != w {
			t.Errorf("Kind(%d): got %q, want %q", k, got, w)
		}
	}
	e := &Error{Kind: KindFailure, Reason: "the authorizer timed out", err: &backend.InvokeError{Kind: backend.KindTimeout}}
	if got := e.Error(); got != "auth: failure: the authorizer timed out" {
		t.Errorf("Error(): got %q", got)
	}
	if !backend.IsKind(e, backend.KindTimeout) {
		t.Errorf("Unwrap: the cause is lost")
	}
}
