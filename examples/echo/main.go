// Command echo returns the event it was invoked with, unchanged. Behind an
// HTTP API route (payload 2.0) the gateway infers a 200 JSON response whose
// body is the event.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
	return event, nil
}

func main() { lambda.Start(handle) }
