// Command hello answers with a greeting: "$GREETING, <name>!", where name
// comes from the query string (?name=) and defaults to "world".
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello"
	}
	name := req.QueryStringParameters["name"]
	if name == "" {
		name = "world"
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       fmt.Sprintf("%s, %s!\n", greeting, name),
	}, nil
}

func main() { lambda.Start(handle) }
