// Command crash exits with status 2 in the middle of every invocation, as a
// function that hits a fatal error would.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, _ json.RawMessage) (json.RawMessage, error) {
	fmt.Fprintln(os.Stderr, "crash: about to exit mid-invocation")
	os.Exit(2)
	return nil, nil
}

func main() { lambda.Start(handle) }
