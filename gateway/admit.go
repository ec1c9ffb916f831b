package gateway

import (
	"errors"
	"io"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/httptoken"
	"github.com/portico/portico/internal/lambdalimit"
)

// errMalformedRequest is a request that is well-formed HTTP/1.1 for
// fasthttp, but not for API Gateway.
var errMalformedRequest = errors.New("gateway: malformed request")

// admit checks the request is one API Gateway would pass on, and reads its
// body. When it is not, it returns the refusal that answers it and why; the
// connection then closes, lingering: part of the request may still be on
// its way.
func (g *Gateway) admit(ctx *fasthttp.RequestCtx, x *exchange) (refusal, error) {
	if !wellFormed(&ctx.Request.Header) {
		lingerOnClose(ctx)
		return refuseBadRequest, errMalformedRequest
	}
	if err := readBody(ctx, x, bodyLimit(g.maxBodyBytes)); err != nil {
		lingerOnClose(ctx)
		return readRefusal(err), err
	}
	return notRefused, nil
}

// wellFormed reports whether the request target is in origin form (a path:
// API Gateway refuses CONNECT, absolute-form and "*" targets) and each
// header name is an HTTP token (RFC 9110 §5.1). fasthttp lets either
// through; a route would match the target with its first byte taken for a
// slash, and a function would receive a name no client can send through AWS.
func wellFormed(h *fasthttp.RequestHeader) bool {
	target := h.RequestURI()
	if len(target) == 0 || target[0] != '/' || h.IsConnect() {
		return false
	}
	for name := range h.All() {
		if !httptoken.Valid(name) {
			return false
		}
	}
	return true
}

// readBody reads a streamed request body (fasthttp streams them, see
// Server.newServer) and makes it the request's body. The buffer grows as
// bytes arrive, never to the length a client declares, and stops past
// limit with fasthttp.ErrBodyTooLarge. x.body holds the bytes and is reused.
func readBody(ctx *fasthttp.RequestCtx, x *exchange, limit int) error {
	req := &ctx.Request
	if !req.IsBodyStream() {
		return nil
	}
	declared := req.Header.ContentLength()
	if declared > limit {
		return fasthttp.ErrBodyTooLarge
	}
	r := req.BodyStream()
	b := x.body[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(max(cap(b), 4096), limit+1-len(b)))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > limit {
			x.body = b
			return fasthttp.ErrBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			x.body = b
			return err
		}
	}
	x.body = b
	// A fixed-length stream ends early at EOF without an error of its own.
	if declared >= 0 && len(b) != declared {
		return io.ErrUnexpectedEOF
	}
	req.SetBodyRaw(b)
	return nil
}

// bodyLimit is the most of a body worth reading under maxBodyBytes: a body
// over Lambda's payload limit makes an event over it, which is refused
// with the same 413, so reading (or inviting with 100 Continue) more would
// only spend memory.
func bodyLimit(maxBodyBytes int) int { return min(maxBodyBytes, lambdalimit.RequestBytes) }
