package auth

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// The authorizer types a config may name.
const (
	typeJWT    = "jwt"
	typeLambda = "lambda"
	typeAPIKey = "apikey"
	// typeDeny refuses every request (403): for a route whose own
	// authorization cannot be checked here (IAM, Cognito, an authorizer
	// in AWS), so that it is not served open; API keys do not pass it.
	typeDeny = "deny"
)

// Limits API Gateway documents, enforced by Validate.
const (
	maxAudiences      = 50                 // HTTP API JWT authorizer: audience entries
	maxResultTTL      = 3600 * time.Second // authorizerResultTtlInSeconds
	maxLeeway         = 5 * time.Minute    // ours: more than this hides broken clocks
	maxIdentitySource = 10                 // ours: AWS does not document a number
	maxKeyValueLen    = 128                // API key value, at most 128 characters
	maxKeyNameLen     = 1024               // API key name
)

// AuthorizerConfig is one entry of the config's `authorizers:` map. Which
// fields apply depends on Type; Validate reports a field set for a type that
// does not use it.
type AuthorizerConfig struct {
	// Type is jwt, lambda, apikey or deny (every request refused, 403).
	Type string `yaml:"type"`

	// Issuer (jwt) must equal the token's iss claim exactly, trailing slash
	// included. Without JWKSURI it must be an http(s) URL that publishes
	// OpenID discovery at {issuer}/.well-known/openid-configuration.
	Issuer string `yaml:"issuer"`
	// Audience (jwt) lists the accepted audiences, 1 to 50: one of them must
	// equal the token's aud (a string or any entry of a list), or its
	// client_id when the token has no aud.
	Audience []string `yaml:"audience"`
	// JWKSURI (jwt) is the http(s) URL of the issuer's JSON Web Key Set.
	// Empty: taken from the issuer's OpenID discovery document.
	JWKSURI string `yaml:"jwksUri"`
	// Leeway (jwt) is the clock skew allowed when checking exp, nbf and iat,
	// at most 5m. Zero (the default) allows none, as API Gateway documents
	// its checks; set a few seconds when the issuer's clock may run ahead.
	Leeway time.Duration `yaml:"leeway"`

	// Function (lambda) names the authorizer function in `functions:`.
	Function string `yaml:"function"`
	// Payload (lambda, api http) is the authorizer event format: "2.0"
	// (default) or "1.0". REST APIs always send the REST REQUEST event, and
	// leave it empty.
	Payload string `yaml:"payload"`
	// SimpleResponses (lambda, payload 2.0) makes the authorizer answer
	// {"isAuthorized": bool, "context": {...}} instead of an IAM policy.
	SimpleResponses bool `yaml:"simpleResponses"`
	// ResultTTL (lambda) is how long an authorizer's answer is reused for
	// requests with the same identity-source values, at most 3600s (API
	// Gateway's limit). Zero (the default) disables caching. Caching needs
	// an identity source.
	ResultTTL time.Duration `yaml:"resultTtl"`

	// IdentitySource (jwt, lambda) says where the credentials are, in HTTP
	// API syntax ("$request.header.Authorization", "$request.querystring.t",
	// "$context.routeKey", "$stageVariables.v") or REST syntax
	// ("method.request.header.Authorization", "method.request.querystring.t",
	// "context.routeKey", "stageVariables.v"). jwt takes one header or query
	// parameter, default "$request.header.Authorization". lambda takes up to
	// 10; a request missing any of them is refused with 401 without invoking
	// the function. Without one a lambda authorizer runs on every request.
	IdentitySource IdentitySource `yaml:"identitySource" config:"scalarlist"`
}

// IdentitySource is a list of identity sources. In a config file it is a
// string or a list of strings (the field's config:"scalarlist" tag).
type IdentitySource []string

// APIKeyConfig is one entry of the config's `apiKeys:` list: a key clients
// send in the x-api-key header of requests to routes whose authorizer has
// type apikey.
type APIKeyConfig struct {
	// Name identifies the key in logs, rate-limit keys and Result.APIKey.
	Name string `yaml:"name"`
	// Value is the secret the client sends, at most 128 visible ASCII
	// characters (API Gateway takes 20 to 128 alphanumerics). Take it from
	// the environment: "${PARTNER_A_KEY}".
	Value string `yaml:"value"`
	// UsagePlan names the plan in `usagePlans:` whose throttle and quota
	// apply to the key; empty for none.
	UsagePlan string `yaml:"usagePlan"`
	// Enabled turns the key off when false. Default true.
	Enabled *bool `yaml:"enabled"`
}

// enabled reports whether the key may be used.
func (k *APIKeyConfig) enabled() bool { return k.Enabled == nil || *k.Enabled }

// fieldsFor lists the fields each type uses, besides type itself.
var fieldsFor = map[string][]string{
	typeJWT:    {"issuer", "audience", "jwksUri", "leeway", "identitySource"},
	typeLambda: {"function", "payload", "simpleResponses", "resultTtl", "identitySource"},
	typeAPIKey: {},
	typeDeny:   {},
}

// Validate reports every problem of the config as *fielderr.Error
// values, with paths relative to the authorizer ("issuer",
// "identitySource[0]"). It does not check that Function names a function;
// the gateway, which knows them, does.
func (c *AuthorizerConfig) Validate() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &fielderr.Error{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	used, ok := fieldsFor[c.Type]
	switch {
	case c.Type == "":
		add("type", "required (jwt, lambda, apikey or deny)")
		return errs
	case !ok:
		add("type", "unknown authorizer type %q (want jwt, lambda, apikey or deny)", c.Type)
		return errs
	}
	errs = append(errs, fielderr.Unused("type "+c.Type, used, []fielderr.Field{
		{Name: "issuer", Set: c.Issuer != ""}, {Name: "audience", Set: c.Audience != nil}, {Name: "jwksUri", Set: c.JWKSURI != ""},
		{Name: "leeway", Set: c.Leeway != 0}, {Name: "function", Set: c.Function != ""}, {Name: "payload", Set: c.Payload != ""},
		{Name: "simpleResponses", Set: c.SimpleResponses}, {Name: "resultTtl", Set: c.ResultTTL != 0},
		{Name: "identitySource", Set: c.IdentitySource != nil},
	})...)
	switch c.Type {
	case typeJWT:
		c.validateJWT(add)
	case typeLambda:
		c.validateLambda(add)
	}
	return errs
}

func (c *AuthorizerConfig) validateJWT(add func(path, format string, args ...any)) {
	switch {
	case c.Issuer == "":
		add("issuer", "required: the token's iss claim, e.g. https://id.example.com/")
	case c.JWKSURI == "" && !isHTTPURL(c.Issuer):
		add("issuer", "want an http(s) URL publishing OpenID discovery, or set jwksUri; got %q", c.Issuer)
	}
	if c.JWKSURI != "" && !isHTTPURL(c.JWKSURI) {
		add("jwksUri", "want an absolute http:// or https:// URL, got %q", c.JWKSURI)
	}
	switch {
	case len(c.Audience) == 0:
		add("audience", "required: at least one accepted audience")
	case len(c.Audience) > maxAudiences:
		add("audience", "%d entries: API Gateway allows at most %d", len(c.Audience), maxAudiences)
	}
	for i, a := range c.Audience {
		if a == "" {
			add(fmt.Sprintf("audience[%d]", i), "must not be empty")
		}
	}
	if c.Leeway < 0 {
		add("leeway", "must not be negative")
	} else if c.Leeway > maxLeeway {
		add("leeway", "at most %s", maxLeeway)
	}
	if len(c.IdentitySource) > 1 {
		add("identitySource", "a jwt authorizer takes one identity source, got %d", len(c.IdentitySource))
	}
	for i, s := range c.IdentitySource {
		src, err := parseSource(s)
		if err == nil && src.kind != srcHeader && src.kind != srcQuery {
			err = fmt.Errorf("a jwt authorizer reads the token from a header or a query parameter")
		}
		if err != nil {
			add(fmt.Sprintf("identitySource[%d]", i), "%v", err)
		}
	}
}

func (c *AuthorizerConfig) validateLambda(add func(path, format string, args ...any)) {
	if c.Function == "" {
		add("function", "required: the authorizer function's name in functions:")
	}
	switch c.Payload {
	case "", "2.0", "1.0":
	default:
		add("payload", `want "2.0" or "1.0", got %q`, c.Payload)
	}
	if c.SimpleResponses && c.Payload == "1.0" {
		add("simpleResponses", `needs payload "2.0": 1.0 authorizers answer with an IAM policy`)
	}
	if c.ResultTTL < 0 {
		add("resultTtl", "must not be negative")
	} else if c.ResultTTL > maxResultTTL {
		add("resultTtl", "at most 3600s (API Gateway's limit)")
	}
	if c.ResultTTL > 0 && len(c.IdentitySource) == 0 {
		add("identitySource", "required when resultTtl is set: the cache is keyed by the identity sources")
	}
	if len(c.IdentitySource) > maxIdentitySource {
		add("identitySource", "%d sources: at most %d", len(c.IdentitySource), maxIdentitySource)
	}
	for i, s := range c.IdentitySource {
		if _, err := parseSource(s); err != nil {
			add(fmt.Sprintf("identitySource[%d]", i), "%v", err)
		}
	}
}

// Validate reports every problem of the key as *fielderr.Error values.
// It does not check that UsagePlan names a plan, nor that key values are
// unique across keys; the gateway (and New) do.
func (k *APIKeyConfig) Validate() []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &fielderr.Error{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case k.Name == "":
		add("name", "required")
	case len(k.Name) > maxKeyNameLen:
		add("name", "at most %d characters", maxKeyNameLen)
	}
	switch {
	case k.Value == "":
		add("value", `required, e.g. "${PARTNER_A_KEY}"`)
	case len(k.Value) > maxKeyValueLen:
		add("value", "%d characters: at most %d", len(k.Value), maxKeyValueLen)
	default:
		for i := 0; i < len(k.Value); i++ {
			// Never echo the value: it is a secret.
			if b := k.Value[i]; b <= ' ' || b >= 0x7f || b == ',' {
				add("value", "only visible ASCII characters other than a comma (character %d is not)", i+1)
				break
			}
		}
	}
	return errs
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}
