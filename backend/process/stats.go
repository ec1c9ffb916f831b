package process

import (
	"errors"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-json"

	"github.com/portico/portico/backend"
)

// Instances is a snapshot of a function's instances and their history, for
// the admin page: counters are atomics bumped off the invocation's path of
// success (a cold start, an error), so an invocation costs nothing more.
type Instances struct {
	// Starting, Idle and Busy count the instances now: started but not yet
	// ready, ready and waiting, running an invocation.
	Starting, Idle, Busy int
	// ColdStarts counts the instances started for an invocation (warm
	// instances kept by minInstances are not counted) since Start.
	ColdStarts uint64
	// LastError is the most recent failed invocation; nil when none failed.
	LastError *LastError
}

// LastError is a failed invocation as the admin page shows it: never the
// function's payload, which may carry anything the function had.
type LastError struct {
	At time.Time
	// Type is the function error's errorType (at most 100 bytes), or the
	// kind of an invocation error: timeout, throttled, unavailable, ...
	Type string
	// Message is the first 200 bytes (and "…" when cut) of Portico's own description: an
	// invocation error's cause, or the message of a function error Portico
	// gave itself (Sandbox.Timedout, Runtime.ExitError,
	// Runtime.InvalidEntrypoint, Function.ResponseSizeTooLarge). A
	// function's own error keeps its message out, whatever type it reports.
	Message string
}

// ownErrorTypes are the function errors whose message Portico writes.
var ownErrorTypes = map[string]bool{
	"Sandbox.Timedout": true, "Runtime.ExitError": true,
	"Runtime.InvalidEntrypoint": true, "Function.ResponseSizeTooLarge": true,
}

// Bounds of LastError's fields.
const (
	maxLastErrorType    = 100
	maxLastErrorMessage = 200
)

// instanceStats are the counters behind Instances.
type instanceStats struct {
	starting   atomic.Int64
	coldStarts atomic.Uint64
	lastError  atomic.Pointer[LastError]
}

// reported carries a function error the runtime reported (an /error or
// /init/error call) from the Runtime API to Invoke, which unwraps it: its
// message is the function's, whatever type the function gave it.
type reported struct{ *backend.FunctionError }

func (r reported) Unwrap() error { return r.FunctionError }

// failed records err as the last error; it runs only when an invocation
// fails. byFunction: the function reported err (see reported).
func (s *instanceStats) failed(err error, byFunction bool, now time.Time) {
	le := &LastError{At: now}
	var fe *backend.FunctionError
	var ie *backend.InvokeError
	switch {
	case errors.As(err, &fe):
		le.Type = truncate(fe.Type, maxLastErrorType)
		if ownErrorTypes[fe.Type] && !byFunction {
			var doc struct {
				Message string `json:"errorMessage"`
			}
			_ = json.Unmarshal(fe.Payload, &doc)
			le.Message = truncate(doc.Message, maxLastErrorMessage)
		}
	case errors.As(err, &ie):
		le.Type = ie.Kind.String()
		if ie.Err != nil {
			le.Message = truncate(ie.Err.Error(), maxLastErrorMessage)
		}
	default:
		le.Type = "error"
		le.Message = truncate(err.Error(), maxLastErrorMessage)
	}
	s.lastError.Store(le)
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Instances reports the function's instances and their history. Safe for
// concurrent use.
func (f *Function) Instances() Instances {
	total, idle := f.pool.stats()
	starting := int(f.stats.starting.Load())
	return Instances{
		Starting:   starting,
		Idle:       idle,
		Busy:       max(total-idle-starting, 0),
		ColdStarts: f.stats.coldStarts.Load(),
		LastError:  f.stats.lastError.Load(),
	}
}
