package process

import (
	"strings"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"
)

// call is one invocation handed to an instance.
type call struct {
	requestID     string
	event         []byte // a copy, as clientContext: the runtime may read them after Invoke gave up
	clientContext []byte
	traceID       string
	deadline      time.Time
	timeout       time.Duration
	result        chan outcome // buffered 1: whoever finishes the call never blocks
	timer         *time.Timer
	picked        bool // the runtime has received the event (guarded by instance.mu)
	logTail       *backend.LogTail
	// handed is when the event was handed to the runtime, where Lambda's
	// Duration starts; init is the environment's init duration when this
	// call is the first its instance serves after a cold start, else 0.
	// Both are set under instance.mu before the runtime has the event.
	handed time.Time
	init   time.Duration
}

// outcome is how a call ended.
type outcome struct {
	payload []byte
	err     error
	// retry: the instance died before its runtime received the event, so
	// the function never saw it and another instance may take it.
	retry bool
}

func newCall(inv *backend.Invocation, timeout time.Duration, now time.Time) *call {
	return &call{
		requestID:     strings.Clone(inv.RequestID), // the call may outlive the Invocation
		event:         append([]byte(nil), inv.Event...),
		clientContext: append([]byte(nil), inv.ClientContext...),
		traceID:       traceIDFor(inv, now),
		deadline:      now.Add(timeout),
		timeout:       timeout,
		result:        make(chan outcome, 1),
		logTail:       inv.LogTail,
	}
}

// traceIDFor is the trace id the runtime is given: the caller's, so the
// function and the event name one trace, else a new one.
func traceIDFor(inv *backend.Invocation, now time.Time) string {
	if inv.TraceID != "" {
		return strings.Clone(inv.TraceID)
	}
	return awsid.NewTraceID(now)
}
