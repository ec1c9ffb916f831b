package backend

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-json"
)

// ErrFunctionNotFound is returned for an invocation of a function the invoker
// does not know.
var ErrFunctionNotFound = errors.New("backend: function not found")

// ErrNotStarted is wrapped by the *InvokeError a Starter answers when it is
// invoked before it was started.
var ErrNotStarted = errors.New("backend: function not started")

// FunctionError means the function ran and failed: it returned an error,
// panicked, crashed, ran out of time inside its own timeout, or produced a
// result over the payload limit. Payload is the error document Lambda would
// return with X-Amz-Function-Error, e.g.
// {"errorMessage":"boom","errorType":"errorString"}.
type FunctionError struct {
	// Type is the errorType of the payload, e.g. "Runtime.ExitError".
	Type string
	// Payload is the JSON error document.
	Payload []byte
}

// maxErrorText and maxErrorType bound how much of a payload and of its
// error type FunctionError.Error quotes: errors end up in logs, and both
// come from the function, which can make them megabytes of anything,
// secrets included.
const (
	maxErrorText = 200
	maxErrorType = 100
)

// Error names the error type (at most 100 bytes of it) and quotes at most
// the first 200 bytes of the payload, with the payload's full size when it
// was cut; cuts fall on character boundaries.
func (e *FunctionError) Error() string {
	typ, _ := prefix(e.Type, maxErrorType)
	if p, cut := prefix(string(e.Payload), maxErrorText); cut {
		return fmt.Sprintf("backend: function error %s: %s… (%d bytes)", typ, p, len(e.Payload))
	}
	return fmt.Sprintf("backend: function error %s: %s", typ, e.Payload)
}

// prefix returns at most the first n bytes of s, cut at a character
// boundary, and whether it cut.
func prefix(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// NewFunctionError builds a FunctionError whose payload is Lambda's
// {"errorMessage":...,"errorType":...} document.
func NewFunctionError(errorType, message string) *FunctionError {
	payload, _ := json.Marshal(errorDocument{Message: message, Type: errorType})
	return &FunctionError{Type: errorType, Payload: payload}
}

// errorDocument is the error body Lambda returns for a failed invocation.
type errorDocument struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// Kind classifies an InvokeError.
type Kind uint8

// The kinds of invocation failure. API Gateway answers KindTimeout with its
// integration-timeout response and every other kind with its
// internal-error response.
const (
	// KindUnavailable: the function could not be reached or started.
	KindUnavailable Kind = iota + 1
	// KindTimeout: the integration deadline passed before the result arrived.
	KindTimeout
	// KindThrottled: the function is at its concurrency limit
	// (Lambda's TooManyRequestsException).
	KindThrottled
	// KindTooLarge: the request payload is over the invoke limit
	// (Lambda's RequestTooLargeException).
	KindTooLarge
	// KindRejected: the invoke API refused the call for another reason
	// (permissions, bad request, function missing).
	KindRejected
)

var kindNames = [...]string{"", "unavailable", "timeout", "throttled", "too large", "rejected"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// InvokeError means the function did not run to completion for a reason
// outside the function: see Kind.
type InvokeError struct {
	Kind Kind
	// Err is the underlying cause, for logs.
	Err error
}

func (e *InvokeError) Error() string {
	if e.Err == nil {
		return "backend: invocation " + e.Kind.String()
	}
	return "backend: invocation " + e.Kind.String() + ": " + e.Err.Error()
}

func (e *InvokeError) Unwrap() error { return e.Err }

// IsKind reports whether err is an *InvokeError of kind k.
func IsKind(err error, k Kind) bool {
	var ie *InvokeError
	return errors.As(err, &ie) && ie.Kind == k
}

// NewTimeoutError is the function error Lambda gives a function that ran
// past its timeout: Sandbox.Timedout, "Task timed out after N.NN seconds".
// Local processes report it themselves; the Invoke API and the async queue
// give it for the other kinds, whose timeout bounds the wait for them.
func NewTimeoutError(requestID string, timeout time.Duration) *FunctionError {
	return NewFunctionError("Sandbox.Timedout",
		fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()))
}

// IsTimeout reports whether err is a timeout of the invocation: the
// backend's (KindTimeout), or a deadline the caller put on its context.
func IsTimeout(err error) bool {
	return IsKind(err, KindTimeout) || errors.Is(err, context.DeadlineExceeded)
}
