package gateway

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
	"github.com/portico/portico/mapping"
)

var (
	resultOptionsV1         = mapping.ResultOptions{DecodeBase64: true, DefaultContentType: "application/json"}
	resultOptionsRESTText   = mapping.ResultOptions{DecodeBase64: false, DefaultContentType: "application/json"}
	resultOptionsRESTBinary = mapping.ResultOptions{DecodeBase64: true, DefaultContentType: "application/json"}
)

// Handler returns the request handler of the public listener.
func (g *Gateway) Handler() fasthttp.RequestHandler { return g.handle }

// outcome is what the access log records of a request.
type outcome struct {
	preflight  bool    // answered by the CORS configuration
	refusal    refusal // the gateway's own answer; notRefused for the function's
	route      *route
	invokeTime time.Duration
	err        error
}

func (g *Gateway) handle(ctx *fasthttp.RequestCtx) {
	x := acquireExchange()
	x.fctx = ctx
	x.newRequestID()
	x.newUUID()
	g.flights.add(x)
	var out outcome
	out.refusal = g.serve(ctx, x, &out)
	if g.cors != nil && !out.preflight {
		if origin := x.header("Origin"); len(origin) > 0 {
			g.cors.Decorate(ctx, origin, isPreflight(ctx, x))
		}
	}
	if out.refusal != notRefused {
		g.refuse(ctx, x, out.refusal)
	} else {
		g.setRequestIDHeaders(ctx, x)
	}
	if out.route != nil {
		out.route.metrics.observe(ctx.Response.StatusCode(), time.Since(ctx.Time()), out.err)
	} else {
		g.metrics.unmatched.Inc()
	}
	if g.accessLog != nil && g.recordsAccess(ctx, &out) {
		g.logAccess(ctx, x, &out)
	}
	g.flights.remove(x)
	releaseExchange(x)
}

// serve takes the request through the route's pipeline and returns the
// refusal that answers it, or notRefused when the response is the
// function's (or the CORS configuration's). out gets what the access log
// records.
func (g *Gateway) serve(ctx *fasthttp.RequestCtx, x *exchange, out *outcome) refusal {
	r, refused := g.match(ctx, x, out)
	if r == nil {
		return refused
	}
	var plan *planLimit
	if r.auth != nil {
		var err error
		if plan, err = g.authorize(ctx, r, x); err != nil {
			out.err = err
			return authRefusal(err)
		}
	}
	x.client.IP = x.sourceIP
	if refused := g.checkLimits(ctx, r, x, &x.client, plan); refused != notRefused {
		out.err = errThrottled
		return refused
	}
	return g.invoke(ctx, r, x, out)
}

// match admits the request and finds its route. Without a route it
// returns the refusal that answers the request, or notRefused for a
// preflight the CORS configuration has answered.
func (g *Gateway) match(ctx *fasthttp.RequestCtx, x *exchange, out *outcome) (*route, refusal) {
	if refused, err := g.admit(ctx, x); err != nil {
		out.err = err
		return nil, refused
	}
	raw := ctx.Request.URI().PathOriginal()
	path, ok := appendRequestPath(x.path[:0], raw)
	x.path = path
	if !ok {
		out.err = errBadPath
		return nil, refuseBadRequest
	}
	routePath, ok := g.stripStage(path)
	if !ok {
		return nil, refuseNotFound
	}
	r, params := g.table.lookup(ctx.Method(), routePath, x.params[:0])
	x.params = params
	if g.cors != nil && !interceptsPreflight(r) && isPreflight(ctx, x) {
		out.preflight = true
		g.cors.AnswerPreflight(ctx, x.header("Origin"))
		return nil, notRefused
	}
	if r == nil {
		return nil, refuseNotFound
	}
	out.route = r
	x.route = r
	x.flightRoute.Store(r)
	g.fillRequest(ctx, x, path, raw)
	return r, notRefused
}

// invoke calls the route's function with the request's event and maps its
// result to the response.
func (g *Gateway) invoke(ctx *fasthttp.RequestCtx, r *route, x *exchange, out *outcome) refusal {
	x.event = mapping.AppendEvent(x.event[:0], &r.event, &x.req)
	// Lambda refuses such a payload (RequestTooLargeException, 413); API
	// Gateway's own limit is 10 MB, so the client sees the 413 the spec
	// leaves open, not a 500.
	if len(x.event) > lambdalimit.RequestBytes {
		out.err = &backend.InvokeError{Kind: backend.KindTooLarge, Err: errors.New("event over 6 MB")}
		return refuseTooLarge
	}
	// Lambda's request id is a UUID of its own (REST reuses it as requestId).
	// The id shares the exchange's memory: invokers copy what they keep.
	// The trace id is the event's X-Amzn-Trace-Id, so the function's
	// Lambda-Runtime-Trace-Id names the same trace.
	x.inv = backend.Invocation{
		Function:  r.function,
		Event:     x.event,
		RequestID: unsafe.String(&x.uuid[0], len(x.uuid)),
		TraceID:   unsafe.String(unsafe.SliceData(x.req.TraceID), len(x.req.TraceID)),
	}

	// The integration timeout counts from the call, as on API Gateway: an
	// authorizer's time does not eat into it.
	start := time.Now()
	ictx := &x.ctx
	ictx.reset(start.Add(r.timeout))
	result, err := r.invoker.Invoke(ictx, &x.inv, x.result[:0])
	end := time.Now() // one clock read for the deadline and the duration
	if err == nil && ictx.expiredAt(end) {
		// The result came too late: API Gateway has already answered.
		err = &backend.InvokeError{Kind: backend.KindTimeout, Err: ictx.Err()}
	}
	ictx.stop()
	out.invokeTime = end.Sub(start)
	x.result = result
	if err == nil {
		// A result that does not map leaves the response as it was, with
		// the RateLimit headers already on it: the refusal keeps them.
		err = g.writeResult(ctx, x, r, result)
	}
	if err != nil {
		out.err = err
		return invokeRefusal(err)
	}
	return notRefused
}

// stripStage removes the stage segment a named stage is served under; with
// routing.stagePrefix optional, a path without it is served as it is.
func (g *Gateway) stripStage(path []byte) ([]byte, bool) {
	if g.stage == nil {
		return path, true
	}
	if !bytes.HasPrefix(path, g.stage) {
		return path, g.stageOptional
	}
	rest := path[len(g.stage):]
	switch {
	case len(rest) == 0:
		return []byte{'/'}, true
	case rest[0] != '/':
		return path, g.stageOptional
	}
	return rest, true
}

// fillRequest works out the per-request fields of the event.
func (g *Gateway) fillRequest(ctx *fasthttp.RequestCtx, x *exchange, path, raw []byte) {
	var clientXFF, traceID []byte
	for k, v := range ctx.Request.Header.All() {
		switch {
		case len(k) == len("X-Forwarded-For") && bytes.EqualFold(k, []byte("X-Forwarded-For")):
			clientXFF = v
		case len(k) == len("X-Amzn-Trace-Id") && bytes.EqualFold(k, []byte("X-Amzn-Trace-Id")):
			traceID = v
		case len(k) == len("Accept") && bytes.EqualFold(k, []byte("Accept")):
			x.accept = v
		}
	}
	peer := peerAddr(ctx.RemoteAddr())
	x.sourceIP = g.trusted.appendSourceIP(x.sourceIP[:0], peer, clientXFF)
	x.xff = x.xff[:0]
	if len(clientXFF) > 0 {
		x.xff = append(append(x.xff, clientXFF...), ", "...)
	}
	x.xff = appendAddr(x.xff, peer)
	if len(traceID) == 0 {
		traceID = x.newTraceID(ctx.Time())
	}
	x.req = mapping.Request{
		Ctx:            ctx,
		Path:           path,
		RawPath:        raw,
		RequestID:      x.requestID[:],
		UUID:           x.uuid[:],
		Time:           ctx.Time(),
		SourceIP:       x.sourceIP,
		ForwardedFor:   x.xff,
		ForwardedPort:  g.forwardedPort,
		ForwardedProto: forwardedProto,
		TraceID:        traceID,
		Params:         x.params,
	}
}

var forwardedProto = []byte("http")

// errThrottled marks a request refused by a rate limit, for the access log.
var errThrottled = errors.New("gateway: throttled")

// errBadPath marks a request refused for its path, for the access log.
var errBadPath = errors.New("gateway: request path with an empty or dot segment")

// writeResult maps the function's result to the response.
func (g *Gateway) writeResult(ctx *fasthttp.RequestCtx, x *exchange, r *route, result []byte) error {
	resp := &ctx.Response
	if r.format == mapping.FormatV2 {
		return mapping.WriteResultV2(result, resp, &g.resultV2)
	}
	opts := &resultOptionsV1
	if g.rest {
		// REST decodes a base64 body only for a client whose first Accept
		// type is a binary media type.
		opts = &resultOptionsRESTText
		if r.binary.Match(mapping.FirstAccept(x.accept)) {
			opts = &resultOptionsRESTBinary
		}
	}
	return mapping.WriteResultV1(result, resp, opts)
}

// setRequestIDHeaders adds the ids API Gateway puts on every response, in
// its case. A response fasthttp answers before reading a request (a read
// timeout) has not had the server's no-normalizing setting applied yet, so
// it is applied here.
func (g *Gateway) setRequestIDHeaders(ctx *fasthttp.RequestCtx, x *exchange) {
	h := &ctx.Response.Header
	h.DisableNormalizing()
	if g.rest {
		h.SetBytesV("x-amzn-RequestId", x.uuid[:])
		h.SetBytesV("x-amz-apigw-id", x.requestID[:])
		return
	}
	h.SetBytesV("apigw-requestid", x.requestID[:])
}

// recordsAccess says whether the access log records the request: every
// error (a 5xx, or an answer the gateway gave itself), and log.sample of
// the rest.
func (g *Gateway) recordsAccess(ctx *fasthttp.RequestCtx, out *outcome) bool {
	if !g.sampling || out.err != nil || out.refusal != notRefused || ctx.Response.StatusCode() >= 500 {
		return true
	}
	return rand.Uint64() < g.sampleBelow
}

// logAccess writes the request's access log line. A successful request's
// line, the common one, is appended by hand and written to the access log
// (see NewLogger) when the gateway has it: zap's encoding of the same line
// costs the mock route about 10 % of its throughput. Otherwise zap encodes
// it; its fields live in the exchange and view its bytes as strings, which
// zap encodes before Write returns, so neither way allocates.
func (g *Gateway) logAccess(ctx *fasthttp.RequestCtx, x *exchange, out *outcome) {
	level := zap.InfoLevel
	if out.err != nil {
		level = zap.WarnLevel
	}
	routeKey, function := "", ""
	if out.route != nil {
		routeKey, function = out.route.key, out.route.function
	}
	if g.accessOut != nil && out.err == nil {
		if !g.accessLog.Core().Enabled(level) {
			return
		}
		line, ok := appendAccessLine(x.logLine[:0], time.Now(), x.requestID[:], routeKey, ctx.Method(),
			ctx.Request.URI().PathOriginal(), ctx.Response.StatusCode(), time.Since(ctx.Time()),
			len(ctx.Response.Body()), function, out.invokeTime, x.sourceIP)
		x.logLine = line
		if ok {
			g.accessOut.Write(line) //nolint:errcheck // as zap, which reports nothing to the caller either
			return
		}
	}
	ce := g.accessLog.Check(level, "request")
	if ce == nil {
		return
	}
	fields := append(x.logFields[:0],
		zap.String("request_id", bytesView(x.requestID[:])),
		zap.String("route_key", routeKey),
		zap.String("method", bytesView(ctx.Method())),
		zap.String("path", bytesView(ctx.Request.URI().PathOriginal())),
		zap.Int("status", ctx.Response.StatusCode()),
		zap.Duration("latency", time.Since(ctx.Time())),
		zap.Int("bytes", len(ctx.Response.Body())),
		zap.String("function", function),
		zap.Duration("backend_latency", out.invokeTime),
		zap.String("source_ip", bytesView(x.sourceIP)),
	)
	if out.err != nil {
		fields = append(fields, zap.Error(out.err))
		fields = appendRejection(fields, out)
	}
	ce.Write(fields...)
	clear(fields) // drop the views and the error before the exchange is pooled
	x.logFields = fields[:0]
}

// bytesView is b as a string, valid while b is neither changed nor reused.
func bytesView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// appendRejection adds what the access log line of an authorizer's
// rejection says beyond the error (its kind and reason): which authorizer,
// and why an authorizer function could not be invoked. auth logs none of
// it, so that a rejection is one line. A function error's payload is the
// function's to fill: only its type, in the reason, is logged.
func appendRejection(fields []zap.Field, out *outcome) []zap.Field {
	var ae *auth.Error
	if out.route == nil || out.route.auth == nil || !errors.As(out.err, &ae) {
		return fields
	}
	fields = append(fields, zap.String("authorizer", out.route.auth.Name()))
	var ie *backend.InvokeError
	if errors.As(ae, &ie) {
		fields = append(fields, zap.NamedError("cause", ie))
	}
	return fields
}
