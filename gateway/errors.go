package gateway

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/mapping"
)

// apiError is a response API Gateway generates itself.
type apiError struct {
	status int
	body   string
	// errorType is REST's x-amzn-ErrorType header, empty for none.
	errorType string
}

// errorSet is the flavour's answer to each situation (spec/proxy-events.md §6).
type errorSet struct {
	badRequest     apiError // a request the gateway will not pass on (malformed, or a path it will not route)
	notFound       apiError
	functionError  apiError // function error, malformed result
	invokeRejected apiError // throttled, unavailable, rejected
	timeout        apiError
	tooLarge       apiError
	configError    apiError // undecodable base64 result body
	throttled      apiError
	quotaExceeded  apiError
}

var httpAPIErrors = errorSet{
	badRequest:     apiError{400, `{"message":"Bad Request"}`, ""},
	notFound:       apiError{404, `{"message":"Not Found"}`, ""},
	functionError:  apiError{500, `{"message":"Internal Server Error"}`, ""},
	invokeRejected: apiError{500, `{"message":"Internal Server Error"}`, ""},
	timeout:        apiError{503, `{"message":"Service Unavailable"}`, ""},
	tooLarge:       apiError{413, `{"message":"Request Entity Too Large"}`, ""},
	configError:    apiError{500, `{"message":"Internal Server Error"}`, ""},
	throttled:      apiError{429, `{"message":"Too Many Requests"}`, ""},
	quotaExceeded:  apiError{429, `{"message":"Limit Exceeded"}`, ""},
}

var restAPIErrors = errorSet{
	badRequest:     apiError{400, `{"message":"Bad Request"}`, ""},
	notFound:       apiError{403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
	functionError:  apiError{502, `{"message": "Internal server error"}`, ""},
	invokeRejected: apiError{500, `{"message": "Internal server error"}`, ""},
	timeout:        apiError{504, `{"message": "Endpoint request timed out"}`, ""},
	tooLarge:       apiError{413, `{"message":"Request Entity Too Large"}`, ""},
	configError:    apiError{500, `{"message": "Internal server error"}`, ""},
	throttled:      apiError{429, `{"message":"Too Many Requests"}`, ""},
	quotaExceeded:  apiError{429, `{"message":"Limit Exceeded"}`, "LimitExceededException"},
}

func errorSetFor(api string) *errorSet {
	if api == "rest" {
		return &restAPIErrors
	}
	return &httpAPIErrors
}

// forInvoke picks the answer to an error of backend.Invoke or of decoding
// its result.
func (s *errorSet) forInvoke(err error) *apiError {
	var ie *backend.InvokeError
	switch {
	case errors.As(err, &ie):
		switch ie.Kind {
		case backend.KindTimeout:
			return &s.timeout
		case backend.KindTooLarge:
			return &s.tooLarge
		}
		return &s.invokeRejected
	case errors.Is(err, mapping.ErrBadBase64):
		return &s.configError
	case errors.Is(err, errConcurrencyLimit):
		return &s.throttled
	}
	// A *backend.FunctionError, a malformed result, or anything unforeseen.
	return &s.functionError
}

// write replaces whatever the response holds with the error.
func (e *apiError) write(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	resp.ResetBody()
	resp.SetStatusCode(e.status)
	resp.Header.SetContentType("application/json")
	if e.errorType != "" {
		resp.Header.Set("x-amzn-ErrorType", e.errorType)
	}
	resp.SetBodyString(e.body)
}
