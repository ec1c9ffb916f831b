package process

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/fasthttp/router"
	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
)

const runtimeAPIPrefix = "/2018-06-01/runtime"

// Timeouts of a Runtime API connection, so that a connection that stalls
// does not stay open for ever. The long poll is unaffected: fasthttp's
// ReadTimeout bounds reading a request, from its first byte (from the
// connect on a new connection) to the end of its body, and IdleTimeout the
// wait for the next request on a kept-alive connection; neither runs while
// a handler waits, so a GET /next may wait for its event indefinitely.
// Variables so that tests can shorten them.
var (
	runtimeAPIReadTimeout = 30 * time.Second
	runtimeAPIIdleTimeout = time.Minute
)

// serveRuntimeAPI starts the instance's Runtime API endpoint on ln.
func (in *instance) serveRuntimeAPI(ln net.Listener) *fasthttp.Server {
	r := router.New()
	r.GET(runtimeAPIPrefix+"/invocation/next", in.handleNext)
	r.POST(runtimeAPIPrefix+"/invocation/{id}/response", in.handleResponse)
	r.POST(runtimeAPIPrefix+"/invocation/{id}/error", in.handleError)
	r.POST(runtimeAPIPrefix+"/init/error", in.handleInitError)
	srv := &fasthttp.Server{
		Handler:      r.Handler,
		ErrorHandler: in.handleReadError,
		ReadTimeout:  runtimeAPIReadTimeout,
		IdleTimeout:  runtimeAPIIdleTimeout,
		// No WriteTimeout: a runtime that stops reading stalls only its own
		// invocation, which the function's timeout ends by killing it.
		MaxRequestBodySize:           lambdalimit.ResponseBytes + 1<<20,
		NoDefaultServerHeader:        true,
		DisablePreParseMultipartForm: true,
		Logger:                       zap.NewStdLog(in.log),
	}
	peers := &peerListener{Listener: ln, in: in, refused: rate.Sometimes{Interval: time.Second}}
	go srv.Serve(peers) //nolint:errcheck // ends when the instance stops
	return srv
}

// handleNext hands the runtime its next event, waiting until there is one.
func (in *instance) handleNext(ctx *fasthttp.RequestCtx) {
	in.markReady()
	var c *call
	select {
	case c = <-in.next:
	case <-in.stopping:
		ctx.SetStatusCode(fasthttp.StatusGone)
		return
	}
	in.mu.Lock()
	if in.current != c { // timed out or cancelled while queued
		in.mu.Unlock()
		ctx.SetStatusCode(fasthttp.StatusGone)
		return
	}
	c.picked = true
	c.handed = time.Now()
	in.mu.Unlock()
	// START opens the tail before the lines of this invocation can reach
	// it: the previous one's late output, read from now on, lands after
	// START, as on Lambda, where it shows once the environment thaws.
	in.logStart(c)
	in.output.setTarget(c.requestID, c.logTail)

	h := &ctx.Response.Header
	h.Set("Lambda-Runtime-Aws-Request-Id", c.requestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(c.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", in.fn.arn)
	h.Set("Lambda-Runtime-Trace-Id", c.traceID)
	if len(c.clientContext) > 0 {
		h.SetBytesV("Lambda-Runtime-Client-Context", c.clientContext)
	}
	h.SetContentType("application/json")
	ctx.SetBody(c.event)
}

// current returns the call whose id the runtime named, or answers 400.
func (in *instance) callFor(ctx *fasthttp.RequestCtx) *call {
	id, _ := ctx.UserValue("id").(string)
	in.mu.Lock()
	c := in.current
	in.mu.Unlock()
	if c == nil || c.requestID != id || !c.picked {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
		return nil
	}
	return c
}

func accepted(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusAccepted)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"OK"}`)
}

// handleResponse delivers the function's result.
func (in *instance) handleResponse(ctx *fasthttp.RequestCtx) {
	c := in.callFor(ctx)
	if c == nil {
		return
	}
	body := ctx.Request.Body()
	if len(body) > lambdalimit.ResponseBytes {
		in.responseTooLarge(ctx, c)
		return
	}
	in.finish(c, outcome{payload: append([]byte(nil), body...)}, true)
	accepted(ctx)
}

// responseTooLarge ends c as Lambda ends a response over its limit, with
// Function.ResponseSizeTooLarge, and answers the runtime Lambda's 413.
func (in *instance) responseTooLarge(ctx *fasthttp.RequestCtx, c *call) {
	ctx.SetStatusCode(fasthttp.StatusRequestEntityTooLarge)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}`)
	// aws-lambda-go exits on the 413: retire the instance now.
	in.finish(c, outcome{err: backend.NewFunctionError("Function.ResponseSizeTooLarge", lambdalimit.ResponseTooLargeMessage)}, false)
	in.kill()
}

// handleReadError answers a request the server could not read. A response
// so large that the server refused it before reading it whole ends the
// invocation as a smaller oversized one does, not as a runtime that died
// when its post failed.
func (in *instance) handleReadError(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) && bytes.HasSuffix(ctx.Path(), []byte("/response")) {
		in.mu.Lock()
		c := in.current
		picked := c != nil && c.picked
		in.mu.Unlock()
		if picked {
			in.responseTooLarge(ctx, c)
			return
		}
	}
	ctx.SetStatusCode(fasthttp.StatusBadRequest)
}

// handleError delivers an error the runtime reported for an invocation.
func (in *instance) handleError(ctx *fasthttp.RequestCtx) {
	c := in.callFor(ctx)
	if c == nil {
		return
	}
	in.finish(c, outcome{err: reported{functionError(ctx)}}, true)
	accepted(ctx)
}

// handleInitError records a failed initialisation; the runtime exits next.
func (in *instance) handleInitError(ctx *fasthttp.RequestCtx) {
	in.failInit(functionError(ctx))
	accepted(ctx)
}

// functionError builds the error document of an /error or /init/error call:
// the posted JSON as it is, or one made from the error-type header.
func functionError(ctx *fasthttp.RequestCtx) *backend.FunctionError {
	errType := string(ctx.Request.Header.Peek("Lambda-Runtime-Function-Error-Type"))
	body := ctx.Request.Body()
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(body) > 0 && body[0] == '{' {
		if doc.ErrorType != "" {
			errType = doc.ErrorType
		}
		if errType == "" {
			errType = "Unhandled"
		}
		return &backend.FunctionError{Type: errType, Payload: append([]byte(nil), body...)}
	}
	if errType == "" {
		errType = "Unhandled"
	}
	return backend.NewFunctionError(errType, string(body))
}
