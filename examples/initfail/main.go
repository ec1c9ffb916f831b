// Command initfail fails during initialisation, before it ever asks for an
// event, as a function with a missing setting would.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if os.Getenv("REQUIRED_SETTING") == "" {
		log.Fatal("initfail: REQUIRED_SETTING is not set")
	}
	lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`"ok"`), nil })
}
