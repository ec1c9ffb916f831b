// Command tracefn answers with the trace id the Runtime API gave it and the
// X-Amzn-Trace-Id header of its event, for the test that they are one.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, e events.APIGatewayV2HTTPRequest) (map[string]string, error) {
	return map[string]string{
		"runtime": os.Getenv("_X_AMZN_TRACE_ID"),
		"event":   e.Headers["x-amzn-trace-id"],
	}, nil
}

func main() { lambda.Start(handle) }
