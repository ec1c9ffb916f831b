package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsdefault"
)

// Options is what the gateway knows that authorizers need. Zero fields take
// the defaults given on each.
type Options struct {
	// API is "http" (HTTP API semantics, default) or "rest" (REST API).
	API string
	// Region, AccountID, APIID and Stage make the method and route ARNs
	// (arn:aws:execute-api:{Region}:{AccountID}:{APIID}/{Stage}/GET/pets)
	// that Lambda authorizer policies are evaluated against. Defaults:
	// awsdefault.Region(), awsdefault.AccountID, local, $default.
	Region, AccountID, APIID, Stage string
	// UsagePlans names the configured usage plans; a key's Result.Plan is
	// its plan's position here. Nil: plans are not resolved, and Plan is 0.
	UsagePlans []string
	// Invoker returns the invoker of a function named in `functions:`, for
	// Lambda authorizers. New calls it once per lambda authorizer.
	Invoker func(function string) (backend.Invoker, error)
	// Logger gets JWKS fetch problems and ignored route scopes; rejections
	// are the caller's to log, once per request. Default zap.NewNop(); New
	// names it "auth".
	Logger *zap.Logger
	// HTTPClient fetches JWKS and OpenID discovery documents. Default: a
	// client with a 1.5 s timeout (API Gateway's JWKS timeout); each fetch
	// is bounded by 1.5 s in any case.
	HTTPClient *http.Client
	// Now is the clock for token times, cache expiry and refetch limits.
	// Default time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	defaultAPIID = "local"
	defaultStage = "$default"
)

// Set holds every configured authorizer and the API keys. It is safe for
// concurrent use.
type Set struct {
	_ noCopy

	opts        Options
	rest        bool
	log         *zap.Logger
	authorizers map[string]*authorizer
	keys        *keyRing
	keySets     []*keySet

	ctx    context.Context // cancelled by Close: stops fetches and refreshers
	cancel context.CancelFunc
	wg     sync.WaitGroup
	close  sync.Once

	stats stats
}

// authorizer is one compiled entry of `authorizers:`.
type authorizer struct {
	name   string
	typ    string
	jwt    *jwtAuthorizer
	lambda *lambdaAuthorizer
}

// New compiles the authorizers and API keys. It does not repeat Validate
// (the gateway has called it), but fails when opts.Invoker has no invoker
// for a lambda authorizer's function, when an authorizer is impossible for
// opts.API (simpleResponses or payload "2.0" on a REST API), when a jwt
// authorizer lacks its issuer or audience, when two API keys share a
// value, or when a key's usage plan is missing from a non-nil
// opts.UsagePlans. It fetches every JWKS once, in parallel, waiting at most 3 s (1.5 s
// for discovery, 1.5 s for the key set); an endpoint that is down is logged
// and retried in the background, and does not fail New. Then it starts one
// background refresher per JWKS; Close stops them.
func New(authorizers map[string]*AuthorizerConfig, keys []APIKeyConfig, opts Options) (*Set, error) {
	if opts.API == "" {
		opts.API = "http"
	}
	if opts.API != "http" && opts.API != "rest" {
		return nil, fmt.Errorf("auth: unknown api %q (want http or rest)", opts.API)
	}
	if opts.Region == "" {
		opts.Region = awsdefault.Region()
	}
	if opts.AccountID == "" {
		opts.AccountID = awsdefault.AccountID
	}
	if opts.APIID == "" {
		opts.APIID = defaultAPIID
	}
	if opts.Stage == "" {
		opts.Stage = defaultStage
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Set{
		opts:        opts,
		rest:        opts.API == "rest",
		log:         opts.Logger.Named("auth"),
		authorizers: make(map[string]*authorizer, len(authorizers)),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	var err error
	if s.keys, err = newKeyRing(keys, opts.UsagePlans); err != nil {
		s.cancel()
		return nil, err
	}
	names := make([]string, 0, len(authorizers))
	for name := range authorizers {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		a, err := s.compile(name, authorizers[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("auth: authorizers.%s: %w", name, err))
			continue
		}
		s.authorizers[name] = a
	}
	if len(errs) > 0 {
		s.cancel()
		return nil, errors.Join(errs...)
	}

	return s, nil
}

// Start fetches every JWKS once, in parallel (each bounded by the JWKS
// fetch timeout; a failure is logged and retried in the background, and
// tokens are refused until a fetch succeeds), then starts the background
// refreshers that Close stops. New does no I/O; call Start once before the
// first Authenticate.
func (s *Set) Start(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return errors.New("auth: start after close")
	}
	// Close, too, ends the first fetches.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	// The first fetch of every key set, in parallel, then the refreshers.
	var wg sync.WaitGroup
	for _, ks := range s.keySets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = ks.fetch(ctx, true) // failures are logged and retried
		}()
	}
	wg.Wait()
	for _, ks := range s.keySets {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ks.run(s.ctx)
		}()
	}
	return nil
}

// compile builds one authorizer from its config.
func (s *Set) compile(name string, c *AuthorizerConfig) (*authorizer, error) {
	if c == nil {
		return nil, errors.New("empty authorizer")
	}
	a := &authorizer{name: name, typ: c.Type}
	switch c.Type {
	case typeJWT:
		j, err := newJWTAuthorizer(s, name, c)
		if err != nil {
			return nil, err
		}
		a.jwt = j
		s.keySets = append(s.keySets, j.keys)
	case typeLambda:
		l, err := newLambdaAuthorizer(s, name, c)
		if err != nil {
			return nil, err
		}
		a.lambda = l
	case typeAPIKey, typeDeny:
	default:
		return nil, fmt.Errorf("unknown authorizer type %q", c.Type)
	}
	return a, nil
}

// Close stops the JWKS refreshers and any fetch in flight, and waits for
// them. Authenticators keep working on what they have cached. Close is
// idempotent and always returns nil.
func (s *Set) Close() error {
	s.close.Do(func() {
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// ForRoute builds a route's authenticator, once, when the route table is
// built. authorizer names an entry of `authorizers:`; "" means the route has
// none, and ForRoute returns nil, nil. scopes are the route's required
// scopes: a jwt authorizer needs the token to carry at least one of them;
// other types ignore them. routeKey is the route's key, e.g.
// "GET /pets/{id}", "ANY /files/{proxy+}" or "$default".
func (s *Set) ForRoute(authorizer string, scopes []string, routeKey string) (*Authenticator, error) {
	if authorizer == "" {
		return nil, nil
	}
	a, ok := s.authorizers[authorizer]
	if !ok {
		return nil, fmt.Errorf("auth: unknown authorizer %q", authorizer)
	}
	_, resource, _ := strings.Cut(routeKey, " ")
	if routeKey == "$default" {
		resource = "$default"
	}
	au := &Authenticator{set: s, name: authorizer, typ: a.typ}
	switch {
	case a.jwt != nil:
		au.jwt = a.jwt.forRoute(scopes)
	case a.lambda != nil:
		au.lambda = a.lambda.forRoute(routeKey, resource)
	case a.typ == typeDeny:
		au.keys = &keyRing{} // no key opens it
	default:
		au.keys = s.keys
	}
	if len(scopes) > 0 && a.jwt == nil {
		s.log.Warn("route scopes ignored: only jwt authorizers check scopes",
			zap.String("route", routeKey), zap.String("authorizer", authorizer))
	}
	return au, nil
}

// Stats returns the number of rejections of each Kind since New, by
// Kind.String(), together with "allowed", "lambda_invocations",
// "lambda_cache_hits", "jwt_cache_hits", "jwks_fetches" and
// "jwks_fetch_errors". It is safe for concurrent use; the map is new.
func (s *Set) Stats() map[string]int64 {
	m := make(map[string]int64, int(kindCount)+6)
	for k := KindUnauthorized; k < kindCount; k++ {
		m[k.String()] = s.stats.rejected[k].Load()
	}
	m["allowed"] = s.stats.allowed.Load()
	m["lambda_invocations"] = s.stats.lambdaInvocations.Load()
	m["lambda_cache_hits"] = s.stats.lambdaCacheHits.Load()
	m["jwt_cache_hits"] = s.stats.jwtCacheHits.Load()
	m["jwks_fetches"] = s.stats.jwksFetches.Load()
	m["jwks_fetch_errors"] = s.stats.jwksFetchErrors.Load()
	return m
}

// stats are the counters behind Stats.
type stats struct {
	rejected          [kindCount]atomic.Int64
	allowed           atomic.Int64
	lambdaInvocations atomic.Int64
	lambdaCacheHits   atomic.Int64
	jwtCacheHits      atomic.Int64
	jwksFetches       atomic.Int64
	jwksFetchErrors   atomic.Int64
}

// Authenticator checks the requests of one route. It is built once by
// ForRoute and is safe for concurrent use.
type Authenticator struct {
	set    *Set
	name   string
	typ    string
	jwt    *jwtRoute
	lambda *lambdaRoute
	keys   *keyRing
}

// Type returns the authorizer's type: "jwt", "lambda", "apikey" or "deny".
func (a *Authenticator) Type() string { return a.typ }

// Name returns the authorizer's name in `authorizers:`.
func (a *Authenticator) Name() string { return a.name }

// Authenticate decides whether req may reach the route's function. It
// returns the Result to put in the function's event, or an *Error whose Kind
// the gateway turns into API Gateway's answer; any error it returns is an
// *Error. The Result is read-only and may be shared with other requests; its
// slices stay valid after req is gone. ctx bounds a Lambda authorizer's
// invocation (itself capped at 10 s) and a JWKS refetch.
//
// A token already verified, a cached Lambda answer and an API key cost a
// map lookup and no allocation; a new token costs its signature check; a
// Lambda cache miss costs an invocation.
func (a *Authenticator) Authenticate(ctx context.Context, req *Request) (*Result, error) {
	var res *Result
	var e *Error
	switch {
	case a.jwt != nil:
		res, e = a.jwt.authenticate(ctx, req)
	case a.lambda != nil:
		res, e = a.lambda.authenticate(ctx, req)
	default:
		res, e = a.authenticateKey(req)
	}
	if e != nil {
		a.reject(e)
		return nil, e
	}
	a.set.stats.allowed.Add(1)
	return res, nil
}

// reject counts a rejection. It does not log it: the gateway's access log
// line of the request is the rejection's one line, with the Error's kind,
// reason and cause.
func (a *Authenticator) reject(e *Error) {
	if e.Kind < kindCount {
		a.set.stats.rejected[e.Kind].Add(1)
	}
}

// Request is the gateway's view of a request, valid during Authenticate.
// Authenticate does not keep it or any slice it returns, and copies what it
// needs from a slice returned by Header, Query or Cookie before it calls
// one of them again: they may reuse one buffer.
type Request struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the path that selected the route: percent-decoded once,
	// without the query string, with the stage segment in front for a
	// named stage. The method ARN a policy is evaluated against is built
	// from it, so an encoded spelling cannot dodge a Deny.
	Path []byte
	// Header returns a header's value by case-insensitive name (given in
	// lower case), repeated headers joined with ","; nil when absent.
	Header func(name string) []byte
	// Query returns a query parameter's decoded value, repeated ones joined
	// with ","; nil when absent.
	Query func(name string) []byte
	// Cookie returns a cookie's value; nil when absent.
	Cookie func(name string) []byte
	// PathParameters are the route's path parameters, decoded.
	PathParameters map[string]string
	// StageVariables are the stage's variables.
	StageVariables map[string]string
	// SourceIP is the client's address as API Gateway would see it.
	SourceIP []byte
	// RequestID is API Gateway's 16-character request id.
	RequestID []byte
	// TraceID is the request's X-Ray trace header value, which a Lambda
	// authorizer's invocation shares with the route's function.
	TraceID []byte
	// Event appends to dst the proxy event the route's function would get,
	// in payload format "2.0" or "1.0" (REST's 1.0 on a REST API), without
	// an authorizer field. Lambda authorizer events are built from it.
	Event func(format string, dst []byte) []byte
}

// Result is what an authorizer hands on to the function's event and to
// rate limiting. It is read-only: Authenticate may return the same Result
// for many requests.
type Result struct {
	// AuthorizerV2 is the JSON object for requestContext.authorizer in a
	// 2.0 event: {"jwt":{"claims":{...},"scopes":[...]|null}} or
	// {"lambda":{...context...}}; nil for API keys.
	AuthorizerV2 []byte
	// AuthorizerV1 is the JSON object for requestContext.authorizer in a
	// 1.0 event: {"claims":{...},"scopes":...} (jwt), or
	// {"principalId":"...",<context, values as strings>,"integrationLatency":N}
	// (lambda); nil for API keys.
	AuthorizerV1 []byte
	// IdentityExtra is `"apiKey":"...","apiKeyId":"..."` (no braces) for
	// requestContext.identity in a 1.0 event when an API key was used; nil
	// otherwise.
	IdentityExtra []byte
	// Principal is the jwt's sub, the Lambda authorizer's principalId, or
	// the API key's name: the client identity for rate-limit keys.
	Principal string
	// APIKey is the name of the API key used, or "".
	APIKey string
	// UsagePlan is the API key's usage plan, or "".
	UsagePlan string
	// Plan is UsagePlan's position in Options.UsagePlans plus one, resolved
	// by New so that the caller finds a plan's limits without a lookup by
	// name; 0 for no plan.
	Plan int
}

// Kind classifies a rejection; the gateway turns it into API Gateway's
// response for its flavour (spec/authorizers.md).
type Kind uint8

// The kinds of rejection.
const (
	// KindUnauthorized is 401 {"message":"Unauthorized"}: no or bad
	// credentials, a JWT that fails validation, a missing identity source,
	// or a Lambda authorizer that failed with "Unauthorized".
	KindUnauthorized Kind = iota + 1
	// KindForbidden is 403 {"message":"Forbidden"}: an API key missing,
	// unknown or disabled (REST: ForbiddenException), or an HTTP API Lambda
	// authorizer that denied (isAuthorized false, or a policy that does not
	// allow the route).
	KindForbidden
	// KindExplicitDeny is REST's 403 "User is not authorized to access this
	// resource with an explicit deny".
	KindExplicitDeny
	// KindImplicitDeny is REST's 403 "User is not authorized to access this
	// resource": no Allow covers the method ARN.
	KindImplicitDeny
	// KindInsufficientScope is an HTTP API JWT 403 {"message":"Forbidden"}
	// with a www-authenticate header: the token has none of the route's
	// scopes.
	KindInsufficientScope
	// KindFailure is a Lambda authorizer that crashed, timed out or answered
	// something unusable: HTTP API 500 {"message":"Internal Server Error"},
	// REST 500 AuthorizerConfigurationException {"message":null}.
	KindFailure

	kindCount
)

var kindNames = [...]string{"", "unauthorized", "forbidden", "explicit_deny", "implicit_deny", "insufficient_scope", "failure"}

// String returns the kind's snake_case name, as used in logs and Stats.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Error is a rejection.
type Error struct {
	// Kind says which answer the client gets.
	Kind Kind
	// Reason is for logs only; it never includes a token or a key.
	Reason string
	// WWWAuthenticate is the www-authenticate header value of a JWT
	// rejection (401 and KindInsufficientScope), e.g.
	// `Bearer scope="" error="invalid_token" error_description="the token has expired"`;
	// "" for other authorizers.
	WWWAuthenticate string

	err error // the cause, for logs and errors.As (a backend error)
}

func (e *Error) Error() string { return "auth: " + e.Kind.String() + ": " + e.Reason }

// Unwrap returns the cause: for KindFailure, the *backend.FunctionError or
// *backend.InvokeError of the authorizer function, when there is one.
func (e *Error) Unwrap() error { return e.err }

// noCopy marks structs that must not be copied after first use (go vet's
// copylocks check).
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
