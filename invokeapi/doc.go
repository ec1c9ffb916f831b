// Package invokeapi serves the AWS Lambda Invoke API for the functions of a
// config, so the AWS SDKs and the AWS CLI (`--endpoint-url`) call local
// functions as they call Lambda: Invoke (RequestResponse, Event, DryRun, log
// tail, client context), ListFunctions, GetFunction and
// GetFunctionConfiguration, with Lambda's status codes, headers and error
// bodies, and AWS Signature Version 4 verification when credentials are
// configured.
//
// It owns its Config (the root config's `invokeApi:` block), the HTTP
// listener and its limits, the mapping from backend errors to Lambda's
// answers (errors.go, one table), and the core that `portico invoke` shares
// with the HTTP handler (Server.Invoke). It imports backend and the
// internal leaves; the async queue comes in through the Queue interface, and
// nothing here imports gateway.
//
// Hot-path promise: a request is authenticated from its headers and its
// body's hash before the body is parsed or any function runs, and no
// request can make the server hold more than Lambda's payload limit of its
// body.
package invokeapi
