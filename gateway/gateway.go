package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/cors"
	"github.com/portico/portico/mapping"
	"github.com/portico/portico/ratelimit"
)

// Gateway serves one loaded config. Build it with New; it is safe for
// concurrent use.
type Gateway struct {
	cfg       *Config
	log       *zap.Logger
	accessLog *zap.Logger // nil when the access log is off
	routes    []*route
	table     *routeTable
	answers   *answers // the flavour's refusals
	invokers  map[string]backend.Invoker
	trusted   trustedProxies
	stage     []byte // "/dev", or nil for $default
	// stageOptional serves a named stage at the root as well.
	stageOptional bool
	rest          bool

	cors           *cors.Policy // nil: no CORS configuration
	authSet        *auth.Set
	store          ratelimit.Store
	storeHandedOn  bool           // a newer gateway took store over: Close leaves it open
	storeWarnings  rate.Sometimes // throttles the warnings about a failing store
	plans          []*planLimit   // by auth.Result.Plan
	metrics        *metrics
	metricsHandler fasthttp.RequestHandler
	resultV2       mapping.ResultOptions
	forwardedPort  []byte
	flights        flights // requests being served, for a drain
	maxBodyBytes   int     // the server's limit, which a reload keeps

	// sampling is on when log.sample < 1; a request that is not an error
	// is then recorded when a random uint64 is below sampleBelow.
	sampling    bool
	sampleBelow uint64
	accessOut   *AccessLog // where the access log goes, when the logger is NewLogger's
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *zap.Logger) Option { return func(g *Gateway) { g.log = l } }

// WithCollectors adds metrics of the platform's other parts (the Invoke
// API, the async queue) to the admin listener's /metrics.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(g *Gateway) { g.metrics.registry.MustRegister(cs...) }
}

// New builds the gateway for a validated config and the functions it
// names: routes, route table, authorizers and rate limits. It does no I/O;
// Start does.
func New(cfg *Config, functions map[string]Function, opts ...Option) (*Gateway, error) {
	g := &Gateway{cfg: cfg, log: zap.NewNop(), answers: answersFor(cfg.API), rest: cfg.API == "rest", metrics: newMetrics(),
		storeWarnings: rate.Sometimes{Interval: 10 * time.Second}}
	g.flights.init()
	g.maxBodyBytes = cfg.Limits.MaxBodyBytes
	for _, o := range opts {
		o(g)
	}
	if cfg.Log.Access == nil || *cfg.Log.Access {
		g.accessLog = g.log.Named(AccessLoggerName)
		g.accessOut = accessWriter(g.log)
		if s := cfg.Log.Sample; s != nil && *s < 1 {
			g.sampling = true
			g.sampleBelow = uint64(*s * (1 << 64)) // exact enough: a sample is no finer than 2^-53
		}
	}
	if cfg.Stage != "$default" {
		g.stage = []byte("/" + cfg.Stage)
		g.stageOptional = cfg.Routing.StagePrefix == "optional"
	}
	for _, p := range cfg.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return nil, err
		}
		g.trusted = append(g.trusted, prefix)
	}
	store, err := ratelimit.Open(cfg.RateLimit, ratelimit.WithRedisLogger(func(msg string) { g.log.Named("ratelimit.redis").Debug(msg) }))
	if err != nil {
		return nil, err
	}
	g.store = store
	if guard, ok := store.(*ratelimit.Guard); ok {
		guard.OnChange(func(healthy bool, err error) {
			if healthy {
				g.log.Info("rate-limit store recovered")
			} else {
				g.log.Error("rate-limit store down: applying onStoreError", zap.String("onStoreError", cfg.RateLimit.OnStoreError), zap.Error(err))
			}
		})
	}
	planNames, plans := newPlanLimits(cfg.UsagePlans)
	g.plans = plans
	g.cors = cors.New(cfg.CORS)
	g.resultV2 = mapping.ResultOptions{DecodeBase64: true, DefaultContentType: "text/plain; charset=utf-8",
		KeepStringQuotes: cfg.Responses.StringResult == "json"}
	g.metricsHandler = g.metrics.handler()
	g.useFunctions(functions)
	g.authSet, err = auth.New(cfg.Authorizers, cfg.APIKeys, auth.Options{
		API: cfg.API, AccountID: cfg.AccountID, APIID: cfg.APIID, Stage: cfg.Stage,
		UsagePlans: planNames, Invoker: g.Invoker, Logger: g.log,
	})
	if err != nil {
		g.Close()
		return nil, err
	}
	g.metrics.watchAuth(g.authSet)
	if err := g.buildRoutes(); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// Start does the I/O the gateway needs before it serves, which New leaves
// out: the first fetch of every JWKS (bounded by the fetch timeout; a
// failed one is retried in the background).
func (g *Gateway) Start(ctx context.Context) error { return g.authSet.Start(ctx) }

// Function is one function the routes and authorizers may invoke. The
// caller builds and starts it, and closes it after the gateway: a gateway
// only calls it, so a reload can hand the same function to the next one.
type Function struct {
	// Invoker runs it, under its concurrency cap when it has one
	// (ratelimit.Capped), which the function's other ways in share.
	Invoker backend.Invoker
	// Backend is the name of its kind, for `portico routes`.
	Backend string
}

// useFunctions keeps the invoker of each function and watches its instances.
func (g *Gateway) useFunctions(functions map[string]Function) {
	g.invokers = make(map[string]backend.Invoker, len(functions))
	for name, fn := range functions {
		inv := fn.Invoker
		g.metrics.watchInstances(name, inv)
		g.invokers[name] = inv
	}
}

// route is one compiled route: everything the handler needs, worked out
// from the config.
type route struct {
	key      string
	event    mapping.Route
	function string
	invoker  backend.Invoker
	timeout  time.Duration
	format   mapping.Format
	// binary (REST) decides which responses are base64-decoded.
	binary  mapping.MediaTypes
	metrics routeMetrics
	limit   *routeLimit // nil: not throttled

	auth            *auth.Authenticator // nil: no authorizer
	authNeedsParams bool                // a Lambda authorizer may read path parameters
	authV1, authV2  mapping.Route       // the authorizer's event, in either format
}

func (g *Gateway) buildRoutes() error {
	cfg := g.cfg
	binary, err := mapping.NewMediaTypes(cfg.BinaryMediaTypes)
	if err != nil {
		return err
	}
	text, err := mapping.NewMediaTypes(cfg.TextMediaTypes)
	if err != nil {
		return err
	}
	api := mapping.APIHTTP
	if g.rest {
		api = mapping.APIREST
	}
	g.table = newRouteTable(cfg.Routing)
	for i, rc := range cfg.Routes {
		key, err := parseRouteKey(rc.Route)
		if err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
		format := mapping.FormatV2
		if rc.Payload == "1.0" {
			format = mapping.FormatV1
		}
		resource := key.path
		if key.isDefault {
			resource = defaultRouteKey
		}
		timeout := cfg.routeTimeout(rc)
		r := &route{
			key:      key.String(),
			function: rc.Function,
			invoker:  g.invokers[rc.Function],
			timeout:  timeout,
			format:   format,
			binary:   binary,
			event: mapping.Route{
				API: api, Format: format, Key: key.String(), Resource: resource,
				Stage: cfg.Stage, APIID: cfg.APIID, AccountID: cfg.AccountID,
				StageVariables: cfg.StageVariables, BinaryMediaTypes: binary, TextMediaTypes: text,
			},
		}
		if r.invoker == nil {
			return fmt.Errorf("routes[%d]: function %q has no invoker", i, rc.Function)
		}
		throttle := rc.Throttle
		if throttle == nil {
			throttle = cfg.Throttle
		}
		r.limit = newRouteLimit(r.key, throttle)
		r.event.Compile()
		if r.auth, err = g.authSet.ForRoute(rc.Authorizer, rc.Scopes, r.key); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
		if r.auth != nil {
			r.authNeedsParams = r.auth.Type() == "lambda"
			r.authV1, r.authV2 = r.event, r.event
			r.authV1.Format, r.authV2.Format = mapping.FormatV1, mapping.FormatV2
			r.authV1.Compile()
			r.authV2.Compile()
		}
		r.metrics = g.metrics.forRoute(r.key)
		g.routes = append(g.routes, r)
		g.table.add(key, r)
	}
	return nil
}

// Config returns the config the gateway was built from.
func (g *Gateway) Config() *Config { return g.cfg }

// Invoker returns the invoker of a function, for `portico invoke`.
func (g *Gateway) Invoker(function string) (backend.Invoker, error) {
	inv, ok := g.invokers[function]
	if !ok {
		return nil, fmt.Errorf("%w: %q", backend.ErrFunctionNotFound, function)
	}
	return inv, nil
}

// takeStateFrom makes g use prev's rate-limit store when both configs
// configure the same one, so buckets and quotas survive a reload: a
// throttle or usage plan keeps its state under its route key or plan name,
// and a changed limit applies to the state it finds. Call it before g
// serves and before prev is closed.
func (g *Gateway) takeStateFrom(prev *Gateway) {
	if prev.store == nil || prev.storeHandedOn || g.cfg.RateLimit != prev.cfg.RateLimit {
		return
	}
	if g.store != nil {
		_ = g.store.Close() // opened by New, never used
	}
	g.store = prev.store
	prev.storeHandedOn = true
}

// Close releases the authorizers and the rate-limit store (unless a newer
// gateway took it over); the functions are their owner's to close.
func (g *Gateway) Close() error {
	var errs []error
	if g.authSet != nil {
		errs = append(errs, g.authSet.Close())
	}
	if g.store != nil && !g.storeHandedOn {
		errs = append(errs, g.store.Close())
	}
	return errors.Join(errs...)
}
