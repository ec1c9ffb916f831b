package gateway

import (
	"errors"
	"net"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/mapping"
	"github.com/portico/portico/ratelimit"
)

// refusal is a situation in which the gateway answers a request itself,
// instead of passing on a function's answer.
type refusal uint8

const (
	notRefused              refusal = iota
	refuseBadRequest                // a request the gateway will not pass on: malformed, or a path it will not route
	refuseNotFound                  // no route, or not under the stage
	refuseRequestTimeout            // a client too slow to send its request
	refuseTooLarge                  // a body, header block or event over its limit
	refuseUnauthorized              // auth.KindUnauthorized
	refuseForbidden                 // auth.KindForbidden
	refuseExplicitDeny              // auth.KindExplicitDeny
	refuseImplicitDeny              // auth.KindImplicitDeny
	refuseInsufficientScope         // auth.KindInsufficientScope
	refuseAuthFailure               // auth.KindFailure: the authorizer itself failed
	refuseThrottled                 // a throttle, a function's concurrency, or a client's connections
	refuseQuotaExceeded             // a usage plan's quota
	refuseFunctionError             // a function error, a malformed result, or anything unforeseen
	refuseInvokeRejected            // an invocation throttled, unavailable or rejected
	refuseTimeout                   // the integration timeout
	refuseBadBase64                 // an undecodable base64 result body: a configuration error
	refuseOverloaded                // a connection past limits.maxConns
	refusalCount
)

// apiError is API Gateway's answer to a refusal.
type apiError struct {
	status int
	body   string // JSON; empty: no body and no content type
	// errorType is REST's x-amzn-ErrorType header, empty for none.
	errorType string
}

// answers are a flavour's answers, by refusal.
type answers [refusalCount]apiError

// httpAPIAnswers and restAPIAnswers are every refusal's answer, as
// spec/proxy-events.md §6 and spec/authorizers.md give them.
var httpAPIAnswers = answers{
	refuseBadRequest:        {400, `{"message":"Bad Request"}`, ""},
	refuseNotFound:          {404, `{"message":"Not Found"}`, ""},
	refuseRequestTimeout:    {408, "", ""},
	refuseTooLarge:          {413, `{"message":"Request Entity Too Large"}`, ""},
	refuseUnauthorized:      {401, `{"message":"Unauthorized"}`, ""},
	refuseForbidden:         {403, `{"message":"Forbidden"}`, ""},
	refuseExplicitDeny:      {403, `{"message":"Forbidden"}`, ""},
	refuseImplicitDeny:      {403, `{"message":"Forbidden"}`, ""},
	refuseInsufficientScope: {403, `{"message":"Forbidden"}`, ""},
	refuseAuthFailure:       {500, `{"message":"Internal Server Error"}`, ""},
	refuseThrottled:         {429, `{"message":"Too Many Requests"}`, ""},
	refuseQuotaExceeded:     {429, `{"message":"Limit Exceeded"}`, ""},
	refuseFunctionError:     {500, `{"message":"Internal Server Error"}`, ""},
	refuseInvokeRejected:    {500, `{"message":"Internal Server Error"}`, ""},
	refuseTimeout:           {503, `{"message":"Service Unavailable"}`, ""},
	refuseBadBase64:         {500, `{"message":"Internal Server Error"}`, ""},
	refuseOverloaded:        {503, `{"message":"Service Unavailable"}`, ""},
}

var restAPIAnswers = answers{
	refuseBadRequest:        {400, `{"message":"Bad Request"}`, ""},
	refuseNotFound:          {403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
	refuseRequestTimeout:    {408, "", ""},
	refuseTooLarge:          {413, `{"message":"Request Entity Too Large"}`, ""},
	refuseUnauthorized:      {401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
	refuseForbidden:         {403, `{"message":"Forbidden"}`, "ForbiddenException"},
	refuseExplicitDeny:      {403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AccessDeniedException"},
	refuseImplicitDeny:      {403, `{"Message":"User is not authorized to access this resource"}`, "AccessDeniedException"},
	refuseInsufficientScope: {403, `{"message":"Forbidden"}`, "ForbiddenException"},
	refuseAuthFailure:       {500, `{"message":null}`, "AuthorizerConfigurationException"},
	refuseThrottled:         {429, `{"message":"Too Many Requests"}`, ""},
	refuseQuotaExceeded:     {429, `{"message":"Limit Exceeded"}`, "LimitExceededException"},
	refuseFunctionError:     {502, `{"message": "Internal server error"}`, ""},
	refuseInvokeRejected:    {500, `{"message": "Internal server error"}`, ""},
	refuseTimeout:           {504, `{"message": "Endpoint request timed out"}`, ""},
	refuseBadBase64:         {500, `{"message": "Internal server error"}`, ""},
	refuseOverloaded:        {503, `{"message":"Service Unavailable"}`, ""},
}

func answersFor(api string) *answers {
	if api == "rest" {
		return &restAPIAnswers
	}
	return &httpAPIAnswers
}

// refuse answers the request with the flavour's answer to r and the
// request's ids: x's, or fresh ones when x is nil (an answer fasthttp asks
// for before the handler runs). It is the one writer of refusals: headers
// set before it (RateLimit, Retry-After, www-authenticate, CORS) stay; the
// status, body, content type and error type are r's.
func (g *Gateway) refuse(ctx *fasthttp.RequestCtx, x *exchange, r refusal) {
	g.answers[r].write(&ctx.Response)
	if x != nil {
		g.setRequestIDHeaders(ctx, x)
		return
	}
	x = acquireExchange()
	x.newRequestID()
	x.newUUID()
	g.setRequestIDHeaders(ctx, x)
	releaseExchange(x)
}

// write replaces the status, body and error type resp holds with e's.
func (e *apiError) write(resp *fasthttp.Response) {
	resp.ResetBody()
	resp.SetStatusCode(e.status)
	if e.body != "" {
		resp.Header.SetContentType("application/json")
	}
	if e.errorType != "" {
		resp.Header.Set("x-amzn-ErrorType", e.errorType)
	}
	resp.SetBodyString(e.body)
}

// invokeRefusal is the refusal that answers an error of backend.Invoke or
// of decoding its result.
func invokeRefusal(err error) refusal {
	var ie *backend.InvokeError
	switch {
	case errors.Is(err, ratelimit.ErrConcurrencyLimit):
		return refuseThrottled
	case errors.As(err, &ie):
		switch ie.Kind {
		case backend.KindTimeout:
			return refuseTimeout
		case backend.KindTooLarge:
			return refuseTooLarge
		}
		return refuseInvokeRejected
	case errors.Is(err, mapping.ErrBadBase64):
		return refuseBadBase64
	}
	// A *backend.FunctionError, a malformed result, or anything unforeseen.
	return refuseFunctionError
}

// authRefusal is the refusal that answers an authorizer's rejection.
func authRefusal(err error) refusal {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return refuseAuthFailure
	}
	switch ae.Kind {
	case auth.KindUnauthorized:
		return refuseUnauthorized
	case auth.KindForbidden:
		return refuseForbidden
	case auth.KindExplicitDeny:
		return refuseExplicitDeny
	case auth.KindImplicitDeny:
		return refuseImplicitDeny
	case auth.KindInsufficientScope:
		return refuseInsufficientScope
	}
	return refuseAuthFailure
}

// readRefusal is the refusal that answers a request that could not be read
// in full: a body or header block over its limit, a client too slow, or
// anything else API Gateway would not have let through.
func readRefusal(err error) refusal {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge), errors.As(err, &small):
		return refuseTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return refuseRequestTimeout
	}
	return refuseBadRequest
}
