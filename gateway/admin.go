package gateway

import (
	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
)

// newAdminServer serves /healthz (the process is up), /readyz (the
// gateway is accepting traffic: routes loaded, not draining) and /metrics
// (Prometheus).
func (g *Gateway) newAdminServer() *fasthttp.Server {
	r := router.New()
	r.GET("/healthz", func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"status":"ok"}`)
	})
	r.GET("/readyz", func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		if !g.ready.Load() || g.draining.Load() {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			ctx.SetBodyString(`{"status":"not ready"}`)
			return
		}
		ctx.SetBodyString(`{"status":"ready"}`)
	})
	r.GET("/metrics", g.metrics.handler())
	return &fasthttp.Server{Handler: r.Handler, NoDefaultServerHeader: true, Logger: g.serverLogger()}
}
