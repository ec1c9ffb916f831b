package gateway

import (
	"strings"

	"github.com/valyala/fasthttp"
)

// isPreflight: an OPTIONS request with Origin and Access-Control-Request-Method.
func isPreflight(ctx *fasthttp.RequestCtx, x *exchange) bool {
	return ctx.IsOptions() && len(x.header("Origin")) > 0 && len(x.header("Access-Control-Request-Method")) > 0
}

// interceptsPreflight reports whether a matched route handles preflights
// itself: an explicit OPTIONS route, or $default (API Gateway documents
// that $default catches them). ANY routes do not.
func interceptsPreflight(r *route) bool {
	return r != nil && (strings.HasPrefix(r.key, "OPTIONS ") || r.key == defaultRouteKey)
}
