package invokeapi

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/goccy/go-json"
	"go.uber.org/zap"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/internal/lambdalimit"
)

// The invocation types of X-Amz-Invocation-Type.
const (
	RequestResponse = "RequestResponse"
	Event           = "Event"
	DryRun          = "DryRun"
)

// latest is the only version a local function has.
const latest = "$LATEST"

// eventBytes is Lambda's limit on an asynchronous invocation's payload:
// 1 MB (1048576 bytes), per the Invoke API reference and the quotas page
// (it was 256 KB before; the deprecated InvokeAsync keeps that limit).
const eventBytes = 1 << 20

// maxClientContext is the longest X-Amz-Client-Context Lambda takes, in
// bytes of its base64 text (the Invoke API reference: "up to 3,583 bytes of
// base64-encoded data").
const maxClientContext = 3583

// maxTimeout bounds a synchronous invocation of a function that states no
// timeout of its own: Lambda's longest function timeout, 15 minutes.
const maxTimeout = 15 * time.Minute

// timeoutGrace is how long past a function's own timeout the Invoke API
// waits before it reports the timeout itself: the backends of local
// processes report theirs first, with their own message.
const timeoutGrace = time.Second

// Call is one Invoke, as the HTTP API and `portico invoke` receive it.
type Call struct {
	// FunctionName is any form Lambda accepts: a name, name:qualifier, a
	// partial ARN (ACCOUNT:function:NAME) or a full ARN.
	FunctionName string
	// Qualifier is the Qualifier parameter; empty for none.
	Qualifier string
	// Type is RequestResponse (also when empty), Event or DryRun.
	Type string
	// Payload is the event, JSON; empty is the empty object, as Lambda
	// hands an empty payload to the function as {}. Invoke does not keep
	// it past its return (Event copies it into the queue).
	Payload []byte
	// ClientContext is X-Amz-Client-Context as received: base64 of a JSON
	// object. Synchronous invocations only; Event and DryRun ignore it.
	ClientContext string
	// LogTail asks for the last 4 KB of the function's log in
	// Result.LogResult (X-Amz-Log-Type: Tail); synchronous only.
	LogTail bool
	// RequestID is the invocation's id; empty: Invoke makes one.
	RequestID string
}

// Result is the answer to a Call that was not refused.
type Result struct {
	// Status is 200 (RequestResponse, also when the function failed), 202
	// (Event: the event is stored in the queue) or 204 (DryRun).
	Status int
	// Payload is the function's result, or its error document when
	// FunctionError is set; nil for Event and DryRun.
	Payload []byte
	// FunctionError is "Unhandled" when the function ran and failed
	// (X-Amz-Function-Error); empty otherwise.
	FunctionError string
	// ExecutedVersion is the version that ran, "$LATEST"
	// (X-Amz-Executed-Version); empty for Event and DryRun.
	ExecutedVersion string
	// LogResult is the base64 of the last 4 KB of the function's log
	// (X-Amz-Log-Result) when Call.LogTail asked for it.
	LogResult string
	// RequestID is the invocation's id.
	RequestID string
}

// Invoke runs c as Lambda's Invoke operation does, for the HTTP handler and
// for `portico invoke`: it resolves the function, checks the payload,
// then runs the function (RequestResponse), hands the event to the queue
// (Event) or only validates (DryRun). A refusal is an *Error with Lambda's
// status, exception and message; a function that ran and failed is a
// Result with FunctionError set. ctx bounds the invocation, with the
// function's own timeout on top. Safe for concurrent use.
func (s *Server) Invoke(ctx context.Context, c Call) (Result, *Error) {
	res := Result{RequestID: c.RequestID}
	if res.RequestID == "" {
		res.RequestID = awsid.NewUUID()
	}
	typ := c.Type
	if typ == "" {
		typ = RequestResponse
	}
	name, fn, err := s.resolve(c.FunctionName, c.Qualifier)
	if err == nil && typ != RequestResponse && typ != Event && typ != DryRun {
		err = validationError(typ, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	if err == nil {
		res, err = s.invoke(ctx, typ, name, fn, &c, res)
	}
	s.metrics.invocation(name, typ, res.FunctionError != "", err)
	return res, err
}

func (s *Server) invoke(ctx context.Context, typ, name string, fn *Function, c *Call, res Result) (Result, *Error) {
	payload := c.Payload
	switch {
	case typ == Event && len(payload) > eventBytes:
		return res, tooLarge(len(payload), true)
	case len(payload) > lambdalimit.RequestBytes:
		return res, tooLarge(len(payload), false)
	case len(payload) == 0:
		payload = []byte("{}")
	case !json.Valid(payload):
		return res, invalidContent(jsonError(payload))
	}
	var clientContext []byte
	if typ == RequestResponse && c.ClientContext != "" {
		var err *Error
		if clientContext, err = decodeClientContext(c.ClientContext); err != nil {
			return res, err
		}
	}
	switch typ {
	case DryRun:
		res.Status = 204
		return res, nil
	case Event:
		return s.enqueue(ctx, name, payload, res)
	}

	timeout := maxTimeout
	if fn.Description.Timeout > 0 {
		timeout = fn.Description.Timeout + timeoutGrace
	}
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inv := backend.Invocation{Function: name, Event: payload, RequestID: res.RequestID, ClientContext: clientContext}
	if c.LogTail {
		inv.LogTail = &backend.LogTail{}
	}
	out, ierr := fn.Invoker.Invoke(ictx, &inv, nil)
	if inv.LogTail != nil {
		res.LogResult = base64.StdEncoding.EncodeToString(inv.LogTail.Bytes())
	}
	var fe *backend.FunctionError
	switch {
	case ierr == nil:
	case errors.As(ierr, &fe):
		out = fe.Payload
		res.FunctionError = "Unhandled"
	case backend.IsTimeout(ierr) && ctx.Err() == nil:
		out = backend.NewTimeoutError(res.RequestID, fn.Description.Timeout).Payload
		if fn.Description.Timeout == 0 {
			out = backend.NewTimeoutError(res.RequestID, timeout).Payload
		}
		res.FunctionError = "Unhandled"
	default:
		s.log.Debug("invocation failed", zap.String("request_id", res.RequestID), zap.Error(ierr))
		return res, invocationError(ierr)
	}
	res.Status, res.Payload, res.ExecutedVersion = 200, out, latest
	return res, nil
}

// enqueue hands an Event to the queue; 202 only once the queue holds it.
func (s *Server) enqueue(ctx context.Context, name string, payload []byte, res Result) (Result, *Error) {
	if s.queue == nil {
		return res, asyncUnavailable()
	}
	// The queue keeps what it is given; the caller's buffer is not ours.
	err := s.queue.Enqueue(ctx, name, res.RequestID, append([]byte(nil), payload...))
	switch {
	case err == nil:
		res.Status = 202
		return res, nil
	case errors.Is(err, async.ErrQueueFull):
		return res, queueFull()
	case errors.Is(err, async.ErrUnknownFunction):
		return res, functionNotFound(s.arn(name))
	}
	s.log.Warn("enqueueing an event failed", zap.String("request_id", res.RequestID), zap.Error(err))
	return res, serviceError()
}

// decodeClientContext decodes X-Amz-Client-Context into the JSON the
// function's context receives.
func decodeClientContext(s string) ([]byte, *Error) {
	if len(s) > maxClientContext {
		return nil, invalidClientContext()
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !json.Valid(b) {
		return nil, invalidClientContext()
	}
	return b, nil
}

// jsonError says why b is not JSON.
func jsonError(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err.Error()
	}
	return "invalid JSON"
}
