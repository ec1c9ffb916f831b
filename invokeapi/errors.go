package invokeapi

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
)

// Error is a refusal as Lambda answers it: an HTTP status, the exception
// name (the X-Amzn-ErrorType header, which the SDKs turn into the error
// code) and a JSON body with the message. Build one with the functions of
// this file, never by hand, so every refusal of a kind reads the same.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Type is the exception name, e.g. ResourceNotFoundException.
	Type string
	// Message is the human-readable message.
	Message string
	// Reason is TooManyRequestsException's Reason member; empty otherwise.
	Reason string

	// fault is the body's Type member: "User", "Service", or empty for the
	// refusals of AWS's front end (authentication, validation), whose
	// bodies carry only a message.
	fault string
	// capitalMessage: the body's member is "Message", not "message". The
	// Lambda model spells it per exception (botocore's service-2.json);
	// the SDKs read either.
	capitalMessage bool
}

func (e *Error) Error() string {
	return "invokeapi: " + e.Type + ": " + e.Message
}

// body encodes the error document.
func (e *Error) body() []byte {
	doc := make(map[string]string, 3)
	if e.fault != "" {
		doc["Type"] = e.fault
	}
	if e.capitalMessage {
		doc["Message"] = e.Message
	} else {
		doc["message"] = e.Message
	}
	if e.Reason != "" {
		doc["Reason"] = e.Reason
	}
	b, _ := json.Marshal(doc)
	return b
}

// write answers ctx with e.
func (e *Error) write(ctx *fasthttp.RequestCtx) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(e.Status)
	ctx.Response.Header.Set("X-Amzn-ErrorType", e.Type)
	ctx.SetContentType("application/json")
	ctx.SetBody(e.body())
}

// The refusals of the Invoke API. Statuses, exception names and body
// members are Lambda's (API reference and botocore's model); messages are
// AWS's wording where it is known, noted where it is Portico's.

func functionNotFound(arn string) *Error {
	return &Error{Status: 404, Type: "ResourceNotFoundException", fault: "User", capitalMessage: true,
		Message: "Function not found: " + arn}
}

// validationError is the message AWS's request validation gives for a
// parameter that breaks the API model's constraints.
func validationError(value, member, constraint string) *Error {
	return &Error{Status: 400, Type: "ValidationException",
		Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)}
}

func invalidParameter(msg string) *Error {
	return &Error{Status: 400, Type: "InvalidParameterValueException", fault: "User", Message: msg}
}

// qualifierMismatch is Lambda's answer to a qualifier in the function name
// that differs from the Qualifier parameter.
func qualifierMismatch() *Error {
	return invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
}

// invalidContent refuses a payload that is not JSON, with Lambda's prefix
// and the parser's reason (Lambda's reason comes from its own parser and
// reads differently).
func invalidContent(reason string) *Error {
	return &Error{Status: 400, Type: "InvalidRequestContentException", fault: "User",
		Message: "Could not parse request body into json: Could not parse payload into json: " + reason}
}

// invalidClientContext refuses an X-Amz-Client-Context that is not base64
// of a JSON object, or is too long. Lambda's wording is not documented;
// this is Portico's.
func invalidClientContext() *Error {
	return &Error{Status: 400, Type: "InvalidRequestContentException", fault: "User",
		Message: fmt.Sprintf("Client context must be a valid Base64-encoded JSON object of at most %d bytes", maxClientContext)}
}

// tooLarge refuses a payload over the limit of its invocation type. The
// wire exception is RequestEntityTooLargeException, the name Lambda sends
// (the SDKs' model calls it RequestTooLargeException; Lambda's answers, as
// clients log them, carry the other name), with Lambda's two messages.
func tooLarge(size int, event bool) *Error {
	msg := "Request must be smaller than " + strconv.Itoa(lambdalimit.RequestBytes) + " bytes for the InvokeFunction operation"
	if event {
		msg = fmt.Sprintf("%d byte payload is too large for the Event invocation type (limit %d bytes)", size, eventBytes)
	}
	return &Error{Status: 413, Type: "RequestEntityTooLargeException", fault: "User", Message: msg}
}

// throttled is Lambda's answer when a function is at its concurrency limit:
// Portico's `concurrency` is Lambda's reserved concurrency.
func throttled() *Error {
	return &Error{Status: 429, Type: "TooManyRequestsException", fault: "User", Message: "Rate Exceeded.",
		Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
}

// queueFull answers an Event the async queue has no room for: a throttle,
// which the SDKs retry with back-off.
func queueFull() *Error {
	return &Error{Status: 429, Type: "TooManyRequestsException", fault: "User", Message: "Rate Exceeded.",
		Reason: "ConcurrentInvocationLimitExceeded"}
}

// serviceError is Lambda's answer to a failure of its own.
func serviceError() *Error {
	return &Error{Status: 500, Type: "ServiceException", fault: "Service", capitalMessage: true,
		Message: "An error occurred and the request cannot be processed."}
}

// asyncUnavailable answers an Event invocation when no async queue runs.
// Lambda has no such state; it is a failure on the service's side, so it
// gets ServiceException's status, with a message that says what is missing.
func asyncUnavailable() *Error {
	return &Error{Status: 500, Type: "ServiceException", fault: "Service", capitalMessage: true,
		Message: "Asynchronous invocation is not available: Portico runs no async queue"}
}

// unknownOperation answers a path or method that is no operation of the
// API. AWS documents no answer for it; this follows the unknown-operation
// refusal of AWS's JSON services.
func unknownOperation() *Error {
	return &Error{Status: 404, Type: "UnknownOperationException", Message: "Unknown operation"}
}

// invocationError maps what an Invoker returned, other than a result or a
// function error, to Lambda's answer. Timeouts are not here: Lambda
// reports a function that ran out of time as a function error (see
// backend.NewTimeoutError).
func invocationError(err error) *Error {
	var ie *backend.InvokeError
	if errors.As(err, &ie) {
		switch ie.Kind {
		case backend.KindThrottled:
			return throttled()
		case backend.KindTooLarge:
			return tooLarge(0, false)
		}
	}
	return serviceError()
}

// The refusals of authentication. AWS's front end answers them before the
// operation, with a message-only body.

// browserRefused answers an unsigned request a web browser may have sent
// (see refuseBrowser); why says what gave it away. Lambda has no unsigned
// mode, so no such answer; the exception and message are Portico's.
func browserRefused(why string) *Error {
	return &Error{Status: 403, Type: "AccessDeniedException",
		Message: "Unsigned requests " + why + " are refused: set invokeApi.credentials and sign the requests"}
}

func missingToken() *Error {
	return &Error{Status: 403, Type: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
}

func incompleteSignature(msg string) *Error {
	return &Error{Status: 403, Type: "IncompleteSignatureException", Message: msg}
}

func invalidSignature(msg string) *Error {
	return &Error{Status: 403, Type: "InvalidSignatureException", Message: msg}
}

// signatureMismatch is AWS's message for a signature that does not verify.
func signatureMismatch() *Error {
	return invalidSignature("The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

func unrecognizedClient() *Error {
	return &Error{Status: 403, Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
}
