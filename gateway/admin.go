package gateway

import (
	"time"

	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
)

// adminTimeouts bound the admin listener's connections: reading a request,
// writing an answer, and waiting idle for the next request.
type adminTimeouts struct{ read, write, idle time.Duration }

// defaultAdminTimeouts are generous for probes and scrapes, which answer in
// milliseconds, and close what a client leaves open.
var defaultAdminTimeouts = adminTimeouts{read: 10 * time.Second, write: 10 * time.Second, idle: 60 * time.Second}

// newAdminServer serves /healthz (the process is up), /readyz (the
// gateway is accepting traffic: routes loaded, not draining) and /metrics
// (Prometheus).
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
	// The metrics of the gateway serving now: a reload starts them afresh.
	r.GET("/metrics", func(ctx *fasthttp.RequestCtx) { s.current.Load().metricsHandler(ctx) })
	return &fasthttp.Server{Handler: r.Handler, NoDefaultServerHeader: true, Logger: serverLogger(s.log),
		ReadTimeout: s.admin.read, WriteTimeout: s.admin.write, IdleTimeout: s.admin.idle, CloseOnShutdown: true}
}
