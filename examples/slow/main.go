// Command slow sleeps for ?ms= milliseconds (default 1000) before it
// answers, ignoring its deadline as a hung function would; for timeouts and
// scaling.
package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ms, err := strconv.Atoi(req.QueryStringParameters["ms"])
	if err != nil {
		ms = 1000
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: fmt.Sprintf("slept %dms\n", ms)}, nil
}

func main() { lambda.Start(handle) }
