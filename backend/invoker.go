package backend

import "context"

// Invocation is one call of a function. The gateway owns it and reuses it
// across requests, so an Invoker must not keep it, or any slice or string in
// it (RequestID may share the gateway's pooled memory), after Invoke
// returns: copy what must live longer.
type Invocation struct {
	// Function is the name of the function as written in the config.
	Function string
	// Event is the JSON payload handed to the function.
	Event []byte
	// RequestID identifies the invocation (Lambda's aws_request_id).
	RequestID string
	// TraceID is the X-Ray trace header value of the request that caused
	// the invocation (Lambda-Runtime-Trace-Id); empty: the invoker makes one.
	TraceID string
	// ClientContext is the optional client context JSON (not base64); nil for none.
	ClientContext []byte
	// LogTail, when not nil, receives the log lines the function writes
	// during the invocation (X-Amz-Log-Type: Tail).
	LogTail *LogTail
}

// Invoker runs a function. The deadline of the invocation travels on ctx.
// Invoke appends the function's result to dst and returns the extended
// buffer. When the function ran and failed it returns a *FunctionError; when
// the function could not be run to completion (timeout, throttled,
// unavailable, payload too large) it returns an *InvokeError.
//
// Implementations are safe for concurrent use.
type Invoker interface {
	Invoke(ctx context.Context, inv *Invocation, dst []byte) ([]byte, error)
}

// Starter is implemented by invokers that need I/O before they serve:
// building or unpacking code, warming instances, loading cloud config. Their
// constructors do none of it, so a config can be built and checked without
// touching anything.
//
// Start is called once, before the first Invoke; ctx bounds the start only,
// not what it leaves running. An Invoke before a successful Start answers an
// *InvokeError of KindUnavailable wrapping ErrNotStarted.
type Starter interface {
	Start(ctx context.Context) error
}

// Closer is implemented by invokers that hold resources (processes,
// connections) which must be released when the gateway stops or reloads.
// Close releases what Start acquired; it is safe without Start, after a
// failed Start, and twice.
type Closer interface {
	Close() error
}
