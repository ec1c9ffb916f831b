// Package cors owns an HTTP API's built-in CORS, as API Gateway's
// CorsConfiguration does it: the config and its checks, answering
// preflights, and replacing the CORS headers of every response to a request
// with an allowed Origin. It imports nothing of the module but internal/;
// the gateway decides which requests are preflights it answers.
package cors
