package async

import (
	"time"

	"github.com/goccy/go-json"
)

// Event is one accepted asynchronous invocation as a Store keeps it. An
// event taken from a store belongs to the caller until it hands it back
// (Retry or Ack); a retry is a new Event with the same ID.
type Event struct {
	// ID is the request id the caller got with its 202, kept across
	// retries; each invocation of the event uses it as its RequestID.
	ID string
	// Function is the function's name in the config.
	Function string
	// Payload is the event handed to the function.
	Payload []byte
	// Accepted is when Enqueue stored the event: its age counts from it.
	Accepted time.Time
	// Invokes counts the calls of the function's invoker so far, throttled
	// ones included (the record's approximateInvokeCount).
	Invokes int
	// FunctionErrors counts the invocations that ended in a function
	// error; RetryAttempts of the function's config bounds it.
	FunctionErrors int
	// Requeues counts the throttles and system errors so far: the
	// exponent of the next backoff.
	Requeues int
	// ErrorType and ErrorPayload are the last function error, kept so that
	// an event that expires while waiting for its retry still carries the
	// response in its record.
	ErrorType    string
	ErrorPayload []byte

	// ref is the store's handle on a taken event (the Redis entry id).
	ref string
}

// eventJSON is an Event as the Redis store writes it.
type eventJSON struct {
	ID             string `json:"id"`
	Function       string `json:"fn"`
	Payload        []byte `json:"payload"`
	Accepted       int64  `json:"accepted"` // Unix nanoseconds
	Invokes        int    `json:"invokes,omitempty"`
	FunctionErrors int    `json:"functionErrors,omitempty"`
	Requeues       int    `json:"requeues,omitempty"`
	ErrorType      string `json:"errorType,omitempty"`
	ErrorPayload   []byte `json:"errorPayload,omitempty"`
}

func (e *Event) marshal() ([]byte, error) {
	return json.Marshal(eventJSON{
		ID: e.ID, Function: e.Function, Payload: e.Payload, Accepted: e.Accepted.UnixNano(),
		Invokes: e.Invokes, FunctionErrors: e.FunctionErrors, Requeues: e.Requeues,
		ErrorType: e.ErrorType, ErrorPayload: e.ErrorPayload,
	})
}

func unmarshalEvent(b []byte) (*Event, error) {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	return &Event{
		ID: j.ID, Function: j.Function, Payload: j.Payload, Accepted: time.Unix(0, j.Accepted),
		Invokes: j.Invokes, FunctionErrors: j.FunctionErrors, Requeues: j.Requeues,
		ErrorType: j.ErrorType, ErrorPayload: j.ErrorPayload,
	}, nil
}

// next returns a copy of e to store as its retry.
func (e *Event) next() *Event {
	n := *e
	n.ref = ""
	return &n
}
