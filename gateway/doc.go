// Package gateway owns the running server: the public listener and its
// connection limits, the admin listener (/healthz and /readyz open to
// probes; /metrics and the handler WithAdminHandler gives, such as the
// admin page, behind one guard: admin.token, same-origin POSTs), the
// route table, the per-route pipeline (CORS, authorizer, rate limits,
// event, invocation, result), the answers API Gateway gives itself
// (errors.go: one table, one writer), the access log, and graceful drain
// and reload. A Gateway is built from a validated root config.
//
// It imports mapping, auth, ratelimit, backend and its kinds; nothing
// imports it but cmd and bench.
//
// Hot-path promise: everything that depends only on the config (route
// table, invoker, authenticator, throttles and usage plans, timeouts,
// pre-encoded JSON fragments) is worked out when the Gateway is built. Per
// request, the handler reuses pooled buffers, allocates nothing
// (handler_alloc_test.go), and looks nothing of the config up by name: an
// API key's usage plan comes resolved with the authorizer's result.
package gateway
