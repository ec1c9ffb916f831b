package async

import (
	"strconv"
	"time"

	"github.com/goccy/go-json"

	"github.com/portico/portico/internal/jsonbytes"
)

// Condition is why a destination record was sent: requestContext.condition.
type Condition string

// The conditions of Lambda's invocation records.
const (
	// Success: the function returned a result (onSuccess).
	Success Condition = "Success"
	// RetriesExhausted: the function failed on every attempt allowed
	// (onFailure).
	RetriesExhausted Condition = "RetriesExhausted"
	// EventAgeExceeded: the event grew older than the function's maximum
	// event age before it could be delivered (onFailure).
	EventAgeExceeded Condition = "EventAgeExceeded"
)

// recordResponse is what a record says of the function's response.
type recordResponse struct {
	// ran: the record has a responseContext and a responsePayload.
	ran           bool
	statusCode    int
	functionError bool
	payload       []byte
}

// appendRecord appends Lambda's invocation record, as a function
// destination receives it: version "1.0", timestamp (UTC, milliseconds),
// requestContext {requestId, functionArn (qualified with $LATEST),
// condition, approximateInvokeCount}, requestPayload, and, when the
// function produced a response, responseContext {statusCode,
// executedVersion, functionError} and responsePayload.
//
// AWS documents no record of an event that expired before any response:
// this one then carries no responseContext and no responsePayload. A
// payload that is not JSON (the Invoke API accepts only JSON, but a
// function may return anything) is written as a JSON string; an empty
// response as null.
func appendRecord(dst []byte, now time.Time, e *Event, arn string, cond Condition, resp recordResponse) []byte {
	dst = append(dst, `{"version":"1.0","timestamp":"`...)
	dst = now.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, `","requestContext":{"requestId":`...)
	dst = jsonbytes.AppendString(dst, e.ID)
	dst = append(dst, `,"functionArn":`...)
	dst = jsonbytes.AppendString(dst, arn+":$LATEST")
	dst = append(dst, `,"condition":"`...)
	dst = append(dst, cond...)
	dst = append(dst, `","approximateInvokeCount":`...)
	dst = strconv.AppendInt(dst, int64(e.Invokes), 10)
	dst = append(dst, `},"requestPayload":`...)
	dst = appendJSONValue(dst, e.Payload)
	if resp.ran {
		dst = append(dst, `,"responseContext":{"statusCode":`...)
		dst = strconv.AppendInt(dst, int64(resp.statusCode), 10)
		dst = append(dst, `,"executedVersion":"$LATEST"`...)
		if resp.functionError {
			dst = append(dst, `,"functionError":"Unhandled"`...)
		}
		dst = append(dst, `},"responsePayload":`...)
		dst = appendJSONValue(dst, resp.payload)
	}
	return append(dst, '}')
}

// appendJSONValue appends v as it is when it is JSON, null when empty, and
// as a JSON string otherwise.
func appendJSONValue(dst, v []byte) []byte {
	switch {
	case len(v) == 0:
		return append(dst, "null"...)
	case json.Valid(v):
		return append(dst, v...)
	}
	return jsonbytes.AppendString(dst, v)
}
