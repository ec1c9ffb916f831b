package gateway

import (
	"time"

	"github.com/fasthttp/router"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// adminTimeouts bound the admin listener's connections: reading a request,
// writing an answer, and waiting idle for the next request.
type adminTimeouts struct{ read, write, idle time.Duration }

// defaultAdminTimeouts are generous for probes and scrapes, which answer in
// milliseconds, and close what a client leaves open.
var defaultAdminTimeouts = adminTimeouts{read: 10 * time.Second, write: 10 * time.Second, idle: 60 * time.Second}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithAdminHandler serves h on the admin listener for every path but
// /healthz, /readyz, /metrics and /login, behind the listener's guard (see
// adminGuard): h sees only requests that carry the admin token when one is
// set, and only same-origin POSTs. Default: those paths are 404.
func WithAdminHandler(h fasthttp.RequestHandler) ServerOption {
	return func(s *Server) { s.adminHandler = h }
}

// newAdminServer serves /healthz (the process is up) and /readyz (the
// gateway is accepting traffic: routes loaded, not draining) to anyone, for
// probes; and, behind the guard, /metrics (Prometheus) and the admin
// handler.
func (s *Server) newAdminServer() *fasthttp.Server {
	r := router.New()
	r.GET("/healthz", func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"status":"ok"}`)
	})
	r.GET("/readyz", func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		if !s.ready.Load() || s.draining.Load() {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString(`{"status":"not ready"}`)
			return
		}
		ctx.SetBodyString(`{"status":"ready"}`)
	})
	guard := newAdminGuard(s.adminToken)
	// The metrics of the gateway serving now: a reload starts them afresh.
	r.GET("/metrics", guard.wrap(func(ctx *fasthttp.RequestCtx) { s.current.Load().metricsHandler(ctx) }))
	r.POST("/login", guard.login)
	if s.adminHandler != nil {
		r.NotFound = guard.wrap(s.adminHandler)
	}
	r.HandleMethodNotAllowed = false
	// A browser sends the page every cookie of its host, other local apps'
	// included (cookies know no ports): the page takes the headers the
	// public listener takes, where fasthttp's default would refuse past 4 KiB.
	return &fasthttp.Server{Handler: r.Handler, NoDefaultServerHeader: true, Logger: serverLogger(s.log),
		ReadBufferSize: s.limits.MaxHeaderBytes,
		ReadTimeout:    s.admin.read, WriteTimeout: s.admin.write, IdleTimeout: s.admin.idle, CloseOnShutdown: true}
}

// RouteMetrics gathers the per-route series of the gateway serving now (see
// Gateway.RouteMetrics). A reload swaps them when it swaps the gateway,
// before the old one drains: the old one's requests still running then are
// counted in its series alone, which nothing reads once it is gone.
func (s *Server) RouteMetrics() prometheus.Gatherer { return s.current.Load().RouteMetrics() }

// RouteMetrics gathers the gateway's per-route series alone (requests by
// status class, latency histograms, invocation errors by kind), without
// the process and runtime collectors of /metrics: for the admin page's
// sampler. Safe for concurrent use.
func (g *Gateway) RouteMetrics() prometheus.Gatherer { return g.metrics.routes }
