// Command flaky answers 200 and exits mid-invocation on every 50th call of
// its instance, as a function with a rare fatal bug would.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

var calls int

func handle(_ context.Context, _ json.RawMessage) (map[string]any, error) {
	calls++
	if calls%50 == 0 {
		os.Exit(3)
	}
	return map[string]any{"statusCode": 200, "body": "ok"}, nil
}

func main() { lambda.Start(handle) }
