package async

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"
)

// The outcomes of a taken event, the values of the metrics' outcome label.
const (
	outcomeSuccess       = "success"
	outcomeFunctionError = "function_error"
	outcomeThrottled     = "throttled"
	outcomeSystemError   = "system_error"
	outcomeRejected      = "rejected"
	outcomeExpired       = "expired"
)

// handle delivers one taken event and settles it in the store: done (with
// its destination record, if any) or stored again as a retry.
//
// Lambda's rules (docs/async.md): a function error is retried up to the
// function's RetryAttempts, after Settings.RetryDelays; a throttle or a
// system error is requeued after an exponential backoff; an event older
// than the function's EventAge is not invoked, and one whose next attempt
// would come after that age is dropped at once. Where AWS is silent: an
// InvokeError of KindTooLarge or KindRejected cannot succeed on a retry,
// so the event goes to onFailure at once as RetriesExhausted, with a
// responseContext of status 413 or 400 and an error document naming the
// cause; an error that is neither a FunctionError nor an InvokeError
// counts as a system error.
func (q *Queue) handle(ctx context.Context, f Function, e *Event) {
	defer func() {
		<-q.slots
		q.inflight.Done()
		select {
		case q.settled <- struct{}{}:
		default:
		}
	}()
	cfg := f.Config
	age := cfg.EventAge()
	if q.now().Sub(e.Accepted) >= age {
		q.m.invocations.WithLabelValues(e.Function, outcomeExpired).Inc()
		q.finish(ctx, f, e, EventAgeExceeded, lastResponse(e))
		return
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = maxTimeout
	}
	ictx, cancel := context.WithTimeout(ctx, timeout)
	// A fresh Invocation each time: the invoker may not keep it.
	out, err := f.Invoker.Invoke(ictx, &backend.Invocation{Function: e.Function, Event: e.Payload, RequestID: e.ID}, nil)
	cancel()
	if ctx.Err() != nil {
		// The queue closed under the invocation: the event stays in the
		// store, to be delivered again.
		return
	}
	e.Invokes++
	if backend.IsTimeout(err) {
		// A function past its timeout failed, as Lambda counts it (a
		// local process reports its own Sandbox.Timedout already).
		err = backend.NewTimeoutError(e.ID, timeout)
	}
	var fe *backend.FunctionError
	var ie *backend.InvokeError
	switch {
	case err == nil:
		q.m.invocations.WithLabelValues(e.Function, outcomeSuccess).Inc()
		q.finish(ctx, f, e, Success, recordResponse{ran: true, statusCode: 200, payload: out})
	case errors.As(err, &fe):
		q.m.invocations.WithLabelValues(e.Function, outcomeFunctionError).Inc()
		e.FunctionErrors++
		e.ErrorType, e.ErrorPayload = fe.Type, fe.Payload
		if e.FunctionErrors > cfg.RetryAttempts() {
			q.finish(ctx, f, e, RetriesExhausted, lastResponse(e))
			return
		}
		q.retry(ctx, f, e, q.retryDelay(e.FunctionErrors), outcomeFunctionError)
	case errors.As(err, &ie) && (ie.Kind == backend.KindTooLarge || ie.Kind == backend.KindRejected):
		q.m.invocations.WithLabelValues(e.Function, outcomeRejected).Inc()
		status, typ := 400, "InvalidRequestContentException"
		if ie.Kind == backend.KindTooLarge {
			status, typ = 413, "RequestTooLargeException"
		}
		doc := backend.NewFunctionError(typ, err.Error())
		q.finish(ctx, f, e, RetriesExhausted, recordResponse{ran: true, statusCode: status, functionError: true, payload: doc.Payload})
	default:
		outcome := outcomeSystemError
		if backend.IsKind(err, backend.KindThrottled) {
			outcome = outcomeThrottled
		}
		q.m.invocations.WithLabelValues(e.Function, outcome).Inc()
		e.Requeues++
		q.retry(ctx, f, e, q.backoff(e.Requeues), outcome)
	}
}

// lastResponse is what the record of e says of the function's response:
// its last function error, if it had one.
func lastResponse(e *Event) recordResponse {
	if e.FunctionErrors == 0 {
		return recordResponse{}
	}
	return recordResponse{ran: true, statusCode: 200, functionError: true, payload: e.ErrorPayload}
}

// retryDelay is the wait before the nth retry of a function error.
func (q *Queue) retryDelay(n int) time.Duration {
	d := q.s.RetryDelays
	return d[min(n, len(d))-1]
}

// backoff is the wait after the nth throttle or system error in a row:
// Backoff.Min doubling up to Backoff.Max.
func (q *Queue) backoff(n int) time.Duration {
	d := q.s.Backoff.Min
	for i := 1; i < n && d < q.s.Backoff.Max; i++ {
		d *= 2
	}
	return min(d, q.s.Backoff.Max)
}

// retry stores e's next attempt after wait, or drops it as
// EventAgeExceeded when that attempt would come after its maximum age.
func (q *Queue) retry(ctx context.Context, f Function, e *Event, wait time.Duration, reason string) {
	due := q.now().Add(wait)
	if due.Sub(e.Accepted) >= f.Config.EventAge() {
		q.finish(ctx, f, e, EventAgeExceeded, lastResponse(e))
		return
	}
	next := e.next()
	if q.write(ctx, e, "retry", func(ctx context.Context) error { return q.store.Retry(ctx, e, next, due) }) {
		q.m.retries.WithLabelValues(e.Function, reason).Inc()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// finish releases e and sends its record to the destination its condition
// names. A destination is another function, invoked asynchronously (as
// Lambda invokes a function destination) with a fresh request id; if that
// function is not configured, the record waits in the store like any event
// of an unconfigured function. Without a destination, a failed event is
// logged and dropped.
func (q *Queue) finish(ctx context.Context, f Function, e *Event, cond Condition, resp recordResponse) {
	dest := f.Config.destination(cond)
	var rec *Event
	if dest != "" {
		now := q.now()
		rec = &Event{
			ID: awsid.NewUUID(), Function: dest, Accepted: now,
			Payload: appendRecord(nil, now, e, f.ARN, cond, resp),
		}
	}
	if !q.write(ctx, e, "ack", func(ctx context.Context) error { return q.store.Ack(ctx, e, rec) }) {
		return
	}
	switch {
	case rec != nil:
		q.m.destinations.WithLabelValues(e.Function, string(cond)).Inc()
	case cond != Success:
		q.m.dropped.WithLabelValues(e.Function, string(cond)).Inc()
		q.log.Warn("async: event dropped, no onFailure destination",
			zap.String("function", e.Function), zap.String("request_id", e.ID), zap.String("condition", string(cond)),
			zap.Int("invoke_count", e.Invokes))
	}
}

// write settles e in the store. The invocation already happened, so the
// first try runs even when the queue is closing; further tries (after a
// bounded backoff) only until Close gives up on the invocations in flight.
// If every try fails the event stays taken, and is delivered again (at
// least once).
func (q *Queue) write(ctx context.Context, e *Event, op string, fn func(context.Context) error) bool {
	backoff := storeBackoffMin
	var err error
	for i := range storeWriteAttempts {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeWriteTimeout)
		err = fn(wctx)
		cancel()
		if err == nil {
			return true
		}
		q.storeFailed(op, err)
		if i == storeWriteAttempts-1 || sleepCtx(ctx, backoff) != nil {
			break
		}
		backoff = min(2*backoff, storeBackoffMax)
	}
	q.log.Error("async: cannot settle an event; it will be delivered again",
		zap.String("function", e.Function), zap.String("request_id", e.ID), zap.Error(err))
	return false
}

// destination names the function that receives the records of cond; empty:
// none.
func (c *Config) destination(cond Condition) string {
	if c == nil {
		return ""
	}
	d := c.OnFailure
	if cond == Success {
		d = c.OnSuccess
	}
	if d == nil {
		return ""
	}
	return d.Function
}
