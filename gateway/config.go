package gateway

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/config"
	"github.com/portico/portico/cors"
	"github.com/portico/portico/internal/awsdefault"
	"github.com/portico/portico/mapping"
	"github.com/portico/portico/ratelimit"
)

// Config is the gateway's part of a Portico config file: listeners, API
// flavour, limits, routes, authorizers and rate limits. The platform
// package composes it with the functions into the root of the file.
type Config struct {
	// Listen is the public listener address. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// Admin is the admin listener: probes, metrics, the admin page.
	Admin AdminConfig `yaml:"admin"`
	// API is "http" (HTTP API semantics, default) or "rest" (REST API).
	API string `yaml:"api"`
	// Stage is requestContext.stage. Default "$default". A named stage is
	// served under /{stage}, as on the execute-api host.
	Stage string `yaml:"stage"`
	// BinaryMediaTypes (api: rest) are the content types whose request and
	// response bodies travel base64-encoded.
	BinaryMediaTypes []string `yaml:"binaryMediaTypes"`
	// TextMediaTypes (api: http) are the request content types passed to
	// functions as text; every other body is base64-encoded. Default:
	// text/*, application/json, application/xml, application/javascript.
	TextMediaTypes []string `yaml:"textMediaTypes"`
	// TrustedProxies are addresses or CIDR prefixes of peers whose
	// X-Forwarded-For is believed when working out the source IP.
	TrustedProxies []string `yaml:"trustedProxies"`
	// StageVariables become the event's stageVariables.
	StageVariables map[string]string `yaml:"stageVariables"`
	// APIID is requestContext.apiId. Default "local".
	APIID string `yaml:"apiId"`
	// AccountID is requestContext.accountId. Default "123456789012".
	AccountID string `yaml:"accountId"`
	// Limits bounds requests and waits.
	Limits Limits `yaml:"limits"`
	// Routing settles matching questions AWS leaves open.
	Routing RoutingConfig `yaml:"routing"`
	// Responses settles result-mapping questions AWS leaves open.
	Responses ResponsesConfig `yaml:"responses"`
	// Log configures the process log and the access log.
	Log LogConfig `yaml:"log"`
	// Authorizers decide who may call the routes that name them.
	Authorizers map[string]*auth.AuthorizerConfig `yaml:"authorizers"`
	// APIKeys are the keys routes with an apikey authorizer accept.
	APIKeys []auth.APIKeyConfig `yaml:"apiKeys"`
	// CORS (api: http) makes the gateway answer preflights and set CORS
	// headers itself; nil for none.
	CORS *cors.Config `yaml:"cors"`
	// Throttle is the default token bucket of every route; nil for none.
	Throttle *ratelimit.Throttle `yaml:"throttle"`
	// UsagePlans are throttles and quotas applied per API key, by name.
	UsagePlans map[string]*ratelimit.UsagePlan `yaml:"usagePlans"`
	// RateLimit says where buckets and quotas live (local or Redis).
	RateLimit ratelimit.Config `yaml:"ratelimit"`
	// Routes map requests to functions.
	Routes []RouteConfig `yaml:"routes"`
}

// Limits bounds what a client may send and how long the gateway waits.
type Limits struct {
	// MaxBodyBytes is the largest request body; larger gets 413. Default
	// 10485760 (API Gateway's 10 MB).
	MaxBodyBytes int `yaml:"maxBodyBytes"`
	// MaxHeaderBytes bounds the request line plus headers. Default 10240.
	MaxHeaderBytes int `yaml:"maxHeaderBytes"`
	// Timeout is the integration timeout of every route. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// ReadTimeout bounds reading one request. Default 30s.
	ReadTimeout time.Duration `yaml:"readTimeout"`
	// WriteTimeout bounds writing one response. Default 30s.
	WriteTimeout time.Duration `yaml:"writeTimeout"`
	// IdleTimeout closes keep-alive connections idle this long. Default 60s.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// DrainTimeout is how long shutdown and reload wait for in-flight
	// requests. Default: the longest a request may take within the other
	// limits, so none the limits allow is cut: its body and authorizer
	// within max(ReadTimeout, Timeout), then the function call within
	// Timeout, plus 5s to write the answer (65s by default).
	DrainTimeout time.Duration `yaml:"drainTimeout"`
	// MaxConns bounds the open connections of the public listener; past it
	// a new connection gets a 503 and is closed. Default 10000.
	MaxConns int `yaml:"maxConns"`
	// MaxConnsPerIP bounds the open connections from one client IP; past it
	// a new connection gets a 429 and is closed. Default 0: no cap.
	MaxConnsPerIP int `yaml:"maxConnsPerIP"`
}

// AdminConfig is the admin listener: /healthz and /readyz for probes,
// /metrics, and the admin page with its JSON API (see package admin).
// `admin: ADDR` is short for `admin: {listen: ADDR}`.
type AdminConfig struct {
	// Listen is its address; empty (the default) disables it. It should
	// stay on loopback unless Token is set: the page reloads the config
	// and sends requests through the gateway.
	Listen string `yaml:"listen"`
	// Token, when set, is required by everything on the admin listener but
	// /healthz and /readyz: as `Authorization: Bearer TOKEN`, or the
	// cookie the page's login form sets. Default: none.
	Token string `yaml:"token"`
}

// ShorthandKey makes `admin: ADDR` stand for `admin: {listen: ADDR}`.
func (*AdminConfig) ShorthandKey() string { return "listen" }

// RoutingConfig settles route-matching behaviours AWS does not document.
type RoutingConfig struct {
	// TrailingSlash is ignore (default: /pets/ matches GET /pets) or strict.
	TrailingSlash string `yaml:"trailingSlash"`
	// GreedyMatchesRoot lets /{proxy+} match / too, with an empty proxy
	// parameter. Default false, as on REST APIs.
	GreedyMatchesRoot bool `yaml:"greedyMatchesRoot"`
	// StagePrefix is required (default: a named stage is served under
	// /{stage} only, as execute-api serves it) or optional (at the root as
	// well, as `sam local start-api` serves it; `serve --no-stage-prefix`).
	StagePrefix string `yaml:"stagePrefix"`
}

// ResponsesConfig settles result-mapping behaviours AWS does not document.
type ResponsesConfig struct {
	// StringResult is what a 2.0 function that returns a bare JSON string
	// sends: content (default: the string's content, as the AWS docs show)
	// or json (the JSON text, quotes included).
	StringResult string `yaml:"stringResult"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Access turns the per-request access log on or off. Default on.
	Access *bool `yaml:"access"`
	// File is the file the access log is appended to (created 0640),
	// reopened on SIGUSR1 for logrotate. Default: the process log
	// (stderr). A reload keeps the file the server started with.
	File string `yaml:"file"`
	// Sample is the fraction of requests the access log records, 0 to 1;
	// errors (a 5xx, or any answer the gateway gives itself: refusals,
	// throttling, 404) are always recorded. Default 1 (every request).
	Sample *float64 `yaml:"sample"`
}

// RouteConfig is one entry of `routes:`.
type RouteConfig struct {
	// Route is the route key: "METHOD /path", "ANY /path", or "$default".
	Route string `yaml:"route"`
	// Function names the function in `functions:`.
	Function string `yaml:"function"`
	// Payload is the payload format: "2.0" (default on api http) or "1.0".
	Payload string `yaml:"payload"`
	// Timeout lowers the integration timeout for this route.
	Timeout time.Duration `yaml:"timeout"`
	// Throttle replaces the default throttle for this route.
	Throttle *ratelimit.Throttle `yaml:"throttle"`
	// Authorizer names the entry of `authorizers:` that guards the route.
	Authorizer string `yaml:"authorizer"`
	// Scopes (jwt authorizers): the token must carry one of them.
	Scopes []string `yaml:"scopes"`
}

// Defaults.
const (
	defaultListen         = "127.0.0.1:8080"
	defaultMaxBodyBytes   = 10 << 20
	defaultMaxHeaderBytes = 10240
	defaultTimeout        = 30 * time.Second
	defaultReadTimeout    = 30 * time.Second
	defaultWriteTimeout   = 30 * time.Second
	defaultIdleTimeout    = 60 * time.Second
	defaultMaxConns       = 10000
	defaultAPIID          = "local"
)

// drainMargin is the time the default drain leaves to write the answer of
// a request that ran to its limits.
const drainMargin = 5 * time.Second

// SetDefaults fills in every setting left out: call it once on a decoded
// config, before Validate.
func (c *Config) SetDefaults() {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.API == "" {
		c.API = "http"
	}
	if c.Stage == "" {
		c.Stage = "$default"
	}
	if c.APIID == "" {
		c.APIID = defaultAPIID
	}
	if c.AccountID == "" {
		c.AccountID = awsdefault.AccountID
	}
	if c.TextMediaTypes == nil {
		c.TextMediaTypes = mapping.DefaultTextMediaTypes
	}
	l := &c.Limits
	setDefault(&l.MaxBodyBytes, defaultMaxBodyBytes)
	setDefault(&l.MaxHeaderBytes, defaultMaxHeaderBytes)
	setDefault(&l.Timeout, defaultTimeout)
	setDefault(&l.ReadTimeout, defaultReadTimeout)
	setDefault(&l.WriteTimeout, defaultWriteTimeout)
	setDefault(&l.IdleTimeout, defaultIdleTimeout)
	// Route timeouts only lower limits.timeout, so it is the longest wait
	// for the function; the body and an authorizer come before it, bounded
	// by the read timeout and (from the request's start) the timeout.
	setDefault(&l.DrainTimeout, max(l.ReadTimeout, l.Timeout)+l.Timeout+drainMargin)
	setDefault(&l.MaxConns, defaultMaxConns)
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	for i := range c.Routes {
		if c.Routes[i].Payload == "" {
			c.Routes[i].Payload = "2.0"
			if c.API == "rest" {
				c.Routes[i].Payload = "1.0"
			}
		}
	}
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

var stageName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// problems collects what Validate finds.
type problems struct {
	file      string
	pos       config.Positions
	functions []string // the names routes and authorizers may invoke, sorted
	errs      []error
}

func (p *problems) add(path, format string, args ...any) {
	p.errs = append(p.errs, p.pos.Errorf(p.file, path, format, args...))
}

// addFields places the errors a leaf package's Validate returned (paths
// relative to the part it validated) under path.
func (p *problems) addFields(path string, errs []error) {
	p.errs = append(p.errs, p.pos.Place(p.file, path, errs)...)
}

// Validate reports every problem of a defaulted config, each at its place
// in file (pos, from decoding it). functions are the names, sorted, that
// routes and Lambda authorizers may invoke.
func (c *Config) Validate(file string, pos config.Positions, functions []string) []error {
	p := &problems{file: file, pos: pos, functions: functions}
	c.validateAPI(p)
	c.validateLimits(p)
	c.validateAdmin(p)
	c.validateSettings(p)
	c.validateThrottles(p)
	c.validateAuthorizers(p)
	c.validateAPIKeys(p)
	c.validateRoutes(p)
	return p.errs
}

// validateAPI checks the API's flavour, stage and request handling.
func (c *Config) validateAPI(p *problems) {
	if c.API != "http" && c.API != "rest" {
		p.add("api", "want http or rest, got %q", c.API)
	}
	if c.Stage != "$default" && !stageName.MatchString(c.Stage) {
		p.add("stage", "want $default or a name of letters, digits, - and _, got %q", c.Stage)
	}
	if c.Stage == "$default" && c.API == "rest" {
		p.add("stage", "a REST API has no $default stage: name one, e.g. dev")
	}
	if c.CORS != nil {
		if c.API == "rest" {
			p.add("cors", "REST APIs have no built-in CORS: add an OPTIONS route (e.g. a mock function) and return the headers from functions")
		} else {
			p.addFields("cors", c.CORS.Validate())
		}
	}
	if len(c.BinaryMediaTypes) > 0 && c.API != "rest" {
		p.add("binaryMediaTypes", "only for api: rest (HTTP APIs decide by content type; see textMediaTypes)")
	}
	if _, err := mapping.NewMediaTypes(c.BinaryMediaTypes); err != nil {
		p.add("binaryMediaTypes", "%v", err)
	}
	if _, err := mapping.NewMediaTypes(c.TextMediaTypes); err != nil {
		p.add("textMediaTypes", "%v", err)
	}
	for i, pr := range c.TrustedProxies {
		if _, err := parsePrefix(pr); err != nil {
			p.add(fmt.Sprintf("trustedProxies[%d]", i), "want an IP address or CIDR prefix, got %q", pr)
		}
	}
}

func (c *Config) validateAdmin(p *problems) {
	if c.Admin.Token != "" && c.Admin.Listen == "" {
		p.add("admin.token", "needs admin.listen: without a listener there is nothing to guard")
	}
	if strings.ContainsAny(c.Admin.Token, " \t\r\n") {
		p.add("admin.token", "must not contain spaces or line breaks: it travels in a header and a cookie")
	}
}

func (c *Config) validateLimits(p *problems) {
	l := &c.Limits
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"maxBodyBytes", int64(l.MaxBodyBytes)}, {"maxHeaderBytes", int64(l.MaxHeaderBytes)},
		{"timeout", int64(l.Timeout)}, {"readTimeout", int64(l.ReadTimeout)}, {"writeTimeout", int64(l.WriteTimeout)},
		{"idleTimeout", int64(l.IdleTimeout)}, {"drainTimeout", int64(l.DrainTimeout)},
		{"maxConns", int64(l.MaxConns)}, {"maxConnsPerIP", int64(l.MaxConnsPerIP)},
	} {
		if f.v < 0 {
			p.add("limits."+f.name, "must not be negative")
		}
	}
	if l.MaxHeaderBytes > 0 && l.MaxHeaderBytes < 1024 {
		p.add("limits.maxHeaderBytes", "must be at least 1024")
	}
}

// validateSettings checks the choices where AWS is silent, and logging.
func (c *Config) validateSettings(p *problems) {
	switch c.Responses.StringResult {
	case "", "content", "json":
	default:
		p.add("responses.stringResult", "want content or json, got %q", c.Responses.StringResult)
	}
	switch c.Routing.StagePrefix {
	case "", "required", "optional":
	default:
		p.add("routing.stagePrefix", "want required or optional, got %q", c.Routing.StagePrefix)
	}
	switch c.Routing.TrailingSlash {
	case "", "ignore", "strict":
	default:
		p.add("routing.trailingSlash", "want ignore or strict, got %q", c.Routing.TrailingSlash)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	if s := c.Log.Sample; s != nil && !(*s >= 0 && *s <= 1) {
		p.add("log.sample", "want a fraction from 0 to 1, got %v", *s)
	}
}

// validateEach validates each entry of m, the map of leaf configs at
// prefix; a null entry is an "empty WHAT".
func validateEach[T any, P interface {
	*T
	Validate() []error
}](p *problems, prefix, what string, m map[string]P) {
	for name, v := range m {
		path := prefix + "." + name
		if v == nil {
			p.add(path, "empty %s", what)
			continue
		}
		p.addFields(path, v.Validate())
	}
}

// validateThrottles checks the default throttle, the usage plans and where
// their state lives.
func (c *Config) validateThrottles(p *problems) {
	if c.Throttle != nil {
		p.addFields("throttle", c.Throttle.Validate())
		p.checkThrottleKey("throttle", c.Throttle)
	}
	validateEach(p, "usagePlans", "usage plan", c.UsagePlans)
	p.addFields("ratelimit", c.RateLimit.Validate())
}

func (c *Config) validateAuthorizers(p *problems) {
	validateEach(p, "authorizers", "authorizer", c.Authorizers)
	for name, a := range c.Authorizers {
		if a != nil && a.Type == "lambda" && a.Function != "" {
			p.checkFunction("authorizers."+name+".function", a.Function)
		}
	}
}

func (c *Config) validateAPIKeys(p *problems) {
	seen := map[string]int{}
	for i, k := range c.APIKeys {
		path := fmt.Sprintf("apiKeys[%d]", i)
		p.addFields(path, k.Validate())
		if k.UsagePlan != "" && c.UsagePlans[k.UsagePlan] == nil {
			p.add(path+".usagePlan", "unknown usage plan %q", k.UsagePlan)
		} else if k.UsagePlan == "" && c.API == "rest" {
			p.add(path+".usagePlan", "required on a REST API: API Gateway refuses (403) a key that is in no usage plan")
		}
		if j, dup := seen[k.Value]; dup && k.Value != "" {
			p.add(path+".value", "same value as apiKeys[%d]", j)
		}
		seen[k.Value] = i
	}
}

func (c *Config) validateRoutes(p *problems) {
	seen := map[string]int{}
	for i, r := range c.Routes {
		path := fmt.Sprintf("routes[%d]", i)
		key, err := parseRouteKey(r.Route)
		if err != nil {
			p.add(path+".route", "%v", err)
		} else if j, dup := seen[key.String()]; dup {
			p.add(path+".route", "duplicate route %q (also routes[%d])", r.Route, j)
		} else {
			seen[key.String()] = i
		}
		c.validateRoute(p, path, &r)
	}
	for _, ce := range checkRouteConflicts(c.Routes) {
		p.add(fmt.Sprintf("routes[%d].route", ce.index), "%s", ce.msg)
	}
}

// validateRoute checks the route at path but for its route key.
func (c *Config) validateRoute(p *problems, path string, r *RouteConfig) {
	if r.Function == "" {
		p.add(path+".function", "required")
	} else {
		p.checkFunction(path+".function", r.Function)
	}
	switch r.Payload {
	case "2.0":
		if c.API == "rest" {
			p.add(path+".payload", `a REST API sends payload "1.0" only`)
		}
	case "1.0":
	default:
		p.add(path+".payload", `want "2.0" or "1.0", got %q`, r.Payload)
	}
	if r.Timeout < 0 {
		p.add(path+".timeout", "must not be negative")
	}
	if r.Throttle != nil {
		c.validateRouteThrottle(p, path+".throttle", r)
	}
	c.validateRouteAuth(p, path, r)
}

func (c *Config) validateRouteThrottle(p *problems, path string, r *RouteConfig) {
	p.addFields(path, r.Throttle.Validate())
	p.checkThrottleKey(path, r.Throttle)
	if a := c.Authorizers[r.Authorizer]; r.Throttle.Key == ratelimit.KeyAPIKey && (a == nil || a.Type != "apikey") {
		p.add(path+".key", "apikey needs an apikey authorizer on the route: without one every request shares one bucket")
	} else if r.Throttle.Key == ratelimit.KeyJWTSubject && (a == nil || a.Type == "apikey") {
		p.add(path+".key", "jwt:sub needs a jwt or lambda authorizer on the route: without one every request shares one bucket")
	}
}

func (c *Config) validateRouteAuth(p *problems, path string, r *RouteConfig) {
	if r.Authorizer == "" {
		if len(r.Scopes) > 0 {
			p.add(path+".scopes", "needs a jwt authorizer on the route")
		}
		return
	}
	a, ok := c.Authorizers[r.Authorizer]
	switch {
	case !ok:
		p.add(path+".authorizer", "unknown authorizer %q", r.Authorizer)
	case len(r.Scopes) > 0 && a != nil && a.Type != "jwt":
		p.add(path+".scopes", "only for jwt authorizers (%s is %s)", r.Authorizer, a.Type)
	}
}

// checkFunction reports a function name that is not in functions:.
func (p *problems) checkFunction(path, name string) {
	if _, ok := slices.BinarySearch(p.functions, name); !ok {
		p.add(path, "unknown function %q%s", name, config.Suggest(name, p.functions))
	}
}

// checkThrottleKey refuses a throttle that names a key but no rate and
// burst: those would read as rate 0, burst 0, which blocks the route.
func (p *problems) checkThrottleKey(path string, t *ratelimit.Throttle) {
	if t.Key != "" && t.Key != ratelimit.KeyRoute && t.Rate == 0 && t.Burst == 0 {
		p.add(path, "key %s without rate and burst: give both (rate 0, burst 0 would block every request)", t.Key)
	}
}

// parsePrefix accepts "10.0.0.1" or "10.0.0.0/8".
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// RouteInfo describes a route, for `portico routes`.
type RouteInfo struct {
	Key      string
	Function string
	Backend  string
	Payload  string
	// Timeout is the route's integration timeout.
	Timeout time.Duration
	// Auth is "name (type)" of the route's authorizer, with its scopes; "-" for none.
	Auth string
	// Limits describes the route's throttle; "-" for none.
	Limits string
}

// RouteInfos lists the routes of a validated config, in config order,
// without starting any function; backendOf names a function's backend kind.
func (c *Config) RouteInfos(backendOf func(function string) string) []RouteInfo {
	out := make([]RouteInfo, 0, len(c.Routes))
	for _, r := range c.Routes {
		key, _ := parseRouteKey(r.Route)
		info := RouteInfo{Key: key.String(), Function: r.Function, Backend: backendOf(r.Function),
			Payload: r.Payload, Timeout: c.routeTimeout(r), Auth: "-", Limits: "-"}
		if a := c.Authorizers[r.Authorizer]; a != nil {
			info.Auth = r.Authorizer + " (" + a.Type + ")"
			if len(r.Scopes) > 0 {
				info.Auth += " scopes " + strings.Join(r.Scopes, ",")
			}
		}
		if t := r.Throttle; t != nil {
			info.Limits = describeThrottle(t)
		} else if c.Throttle != nil {
			info.Limits = "default " + describeThrottle(c.Throttle)
		}
		out = append(out, info)
	}
	return out
}

// routeTimeout is the integration timeout of a route: limits.timeout,
// lowered by the route's own timeout.
func (c *Config) routeTimeout(r RouteConfig) time.Duration {
	if r.Timeout > 0 && r.Timeout < c.Limits.Timeout {
		return r.Timeout
	}
	return c.Limits.Timeout
}

// describeThrottle is "50/s burst 100 per ip".
func describeThrottle(t *ratelimit.Throttle) string {
	d := fmt.Sprintf("%g/s burst %d", t.Rate, t.Burst)
	if t.Key != "" && t.Key != ratelimit.KeyRoute {
		d += " per " + t.Key
	}
	return d
}
