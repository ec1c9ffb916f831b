// Package gateway owns the running server: loading and validating the root
// config, compiling routes into a table, the per-route pipeline that turns a
// request into an event, invokes the function and maps its result back, the
// responses API Gateway generates itself, the access log, graceful drain,
// and the admin listener (/healthz, /readyz).
//
// It imports mapping and backend (and, as they land, auth and ratelimit);
// nothing imports it but cmd and bench.
//
// Hot-path promise: everything that depends only on the config (route
// table, invoker, timeouts, pre-encoded JSON fragments) is worked out when
// the Gateway is built. Per request, the handler reuses pooled buffers and
// does no lookups by name.
package gateway
