package mapping

import (
	"time"

	"github.com/valyala/fasthttp"
)

// Param is a path parameter of the matched route. Value is a slice of
// Request.Path, so already percent-decoded; the encoder writes it as it is.
type Param struct {
	Name  string
	Value []byte
}

// Request is the per-request input of AppendEvent, filled in by the gateway.
// Slices must stay valid until AppendEvent returns.
type Request struct {
	Ctx *fasthttp.RequestCtx
	// Path is the request path percent-decoded once, without the query
	// string and with the stage segment (if any) still in front: the path
	// that selected the route. HTTP API events show it as it is.
	Path []byte
	// RawPath is the same path as received, still percent-encoded, as REST
	// events show it; decoding it once gives Path.
	RawPath []byte
	// RequestID is API Gateway's 16-character id (HTTP API requestId, REST
	// extendedRequestId).
	RequestID []byte
	// UUID is REST's requestId.
	UUID []byte
	// Time is when the request arrived.
	Time time.Time
	// SourceIP is the client's address as API Gateway would see it.
	SourceIP []byte
	// ForwardedFor, ForwardedPort, ForwardedProto and TraceID are the values
	// of the X-Forwarded-* and X-Amzn-Trace-Id headers API Gateway adds to
	// the event, replacing the client's.
	ForwardedFor   []byte
	ForwardedPort  []byte
	ForwardedProto []byte
	TraceID        []byte
	// Params are the path parameters of the matched route.
	Params []Param
	// Authorizer is the JSON object for requestContext.authorizer, or nil
	// when the route has no authorizer.
	Authorizer []byte
	// IdentityExtra is appended inside requestContext.identity (1.0), e.g.
	// `"apiKey":"…","apiKeyId":"…"`, or nil.
	IdentityExtra []byte
}

// Added headers, in the case REST shows them.
const (
	hdrForwardedFor   = "X-Forwarded-For"
	hdrForwardedPort  = "X-Forwarded-Port"
	hdrForwardedProto = "X-Forwarded-Proto"
	hdrTraceID        = "X-Amzn-Trace-Id"
)

// isAddedHeader reports whether name is one API Gateway sets itself, so the
// client's copy is replaced.
func isAddedHeader(name []byte) bool {
	return equalFoldString(name, hdrForwardedFor) || equalFoldString(name, hdrForwardedPort) ||
		equalFoldString(name, hdrForwardedProto) || equalFoldString(name, hdrTraceID)
}
