package gateway

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/mapping"
)

// authorize runs the route's authenticator. On success it puts the
// authorizer's context into the event and the client's identity into the
// rate-limit client, and returns the key's usage plan (nil for none); on
// rejection it sets the www-authenticate header the refusal carries and
// returns the error.
func (g *Gateway) authorize(ctx *fasthttp.RequestCtx, r *route, x *exchange) (*planLimit, error) {
	x.authReq = auth.Request{
		Method:         unsafe.String(unsafe.SliceData(ctx.Method()), len(ctx.Method())), // valid during Authenticate, as the Request is
		Path:           x.path,                                                           // decoded: a policy must see the path that chose the route
		Header:         x.authReq.Header,
		Query:          x.authReq.Query,
		Cookie:         x.authReq.Cookie,
		StageVariables: g.cfg.StageVariables,
		SourceIP:       x.sourceIP,
		RequestID:      x.requestID[:],
		TraceID:        x.req.TraceID,
		Event:          x.authReq.Event,
	}
	if r.authNeedsParams {
		x.authReq.PathParameters = make(map[string]string, len(x.params))
		for _, p := range x.params {
			x.authReq.PathParameters[p.Name] = string(p.Value)
		}
	}
	x.ctx.reset(ctx.Time().Add(r.timeout))
	res, err := r.auth.Authenticate(&x.ctx, &x.authReq)
	x.ctx.stop()
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) && ae.WWWAuthenticate != "" {
			ctx.Response.Header.Set("www-authenticate", ae.WWWAuthenticate)
		}
		// The access log line of the request is the rejection's one line.
		return nil, err
	}
	if r.format == mapping.FormatV2 {
		x.req.Authorizer = res.AuthorizerV2
	} else {
		x.req.Authorizer = res.AuthorizerV1
	}
	x.req.IdentityExtra = res.IdentityExtra
	x.client.APIKey = res.APIKey
	x.client.Subject = res.Principal
	return g.plans[res.Plan], nil
}

// The request accessors an authorizer reads, bound to the exchange once.

// headerJoined is exchange.header, with repeated headers joined by ",".
func (x *exchange) headerJoined(name string) []byte {
	var first []byte
	joined := false
	for k, v := range x.fctx.Request.Header.All() {
		if len(k) != len(name) || !bytes.EqualFold(k, []byte(name)) {
			continue
		}
		switch {
		case first == nil:
			first = v
		case !joined:
			x.scratch = append(append(append(x.scratch[:0], first...), ','), v...)
			joined = true
		default:
			x.scratch = append(append(x.scratch, ','), v...)
		}
	}
	if joined {
		return x.scratch
	}
	return first
}

// query returns a decoded query parameter, repeated ones joined by ",".
func (x *exchange) query(name string) []byte {
	var out []byte
	found := false
	for k, v := range x.fctx.QueryArgs().All() {
		if string(k) != name {
			continue
		}
		if found {
			out = append(append(out, ','), v...)
		} else {
			out, found = append(x.scratch[:0], v...), true
		}
	}
	if found {
		x.scratch = out
		if out == nil {
			return []byte{}
		}
	}
	return out
}

func (x *exchange) cookie(name string) []byte { return x.fctx.Request.Header.Cookie(name) }

// authEvent appends the proxy event in the authorizer's payload format.
func (x *exchange) authEvent(format string, dst []byte) []byte {
	rt := &x.route.authV2
	if format == "1.0" {
		rt = &x.route.authV1
	}
	return mapping.AppendEvent(dst, rt, &x.req)
}
