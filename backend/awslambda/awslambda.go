// Package awslambda invokes functions on AWS Lambda (or anything that
// serves the Lambda API, such as LocalStack, through `endpoint`) with the
// AWS SDK for Go v2: synchronous RequestResponse invocations, credentials
// and region from the standard AWS chain (environment, shared config, SSO,
// instance roles) unless the config names a region.
//
// The answer is read as API Gateway reads it: a payload with a
// FunctionError is a function error; Lambda's refusals become invocation
// errors (TooManyRequestsException throttled, RequestTooLargeException too
// large, other client errors rejected, service errors unavailable), and a
// passed deadline is a timeout. Invocations are never retried, as API
// Gateway never retries them.
package awslambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/portico/portico/backend"
)

// Client invokes one Lambda function. Safe for concurrent use.
type Client struct {
	api       *lambda.Client
	name      string
	qualifier *string
	timeout   time.Duration
}

var _ backend.Invoker = (*Client)(nil)

// New returns a Client for the function cfg names (cfg.FunctionName, else
// name). It loads the AWS configuration but contacts nothing until the
// first invocation.
func New(ctx context.Context, name string, cfg *backend.FunctionConfig) (*Client, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryMaxAttempts(1)}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("awslambda: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("awslambda: no region: set region in the function's config or AWS_REGION")
	}
	api := lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.Retryer = aws.NopRetryer{}
	})
	c := &Client{api: api, name: cfg.FunctionName, timeout: cfg.Timeout}
	if c.name == "" {
		c.name = name
	}
	if cfg.Qualifier != "" {
		c.qualifier = aws.String(cfg.Qualifier)
	}
	return c, nil
}

// Invoke calls the function synchronously and appends its payload to dst.
func (c *Client) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	in := &lambda.InvokeInput{
		FunctionName:   aws.String(c.name),
		Qualifier:      c.qualifier,
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        inv.Event,
	}
	if inv.ClientContext != nil {
		in.ClientContext = aws.String(base64.StdEncoding.EncodeToString(inv.ClientContext))
	}
	out, err := c.api.Invoke(ctx, in)
	if err != nil {
		return dst, classify(ctx, err)
	}
	if out.FunctionError != nil {
		return dst, &backend.FunctionError{Type: *out.FunctionError, Payload: out.Payload}
	}
	return append(dst, out.Payload...), nil
}

// classify turns an SDK error into the backend's error kinds.
func classify(ctx context.Context, err error) error {
	var apiErr smithy.APIError
	var netErr net.Error
	switch {
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return &backend.InvokeError{Kind: backend.KindTimeout, Err: err}
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "TooManyRequestsException":
			return &backend.InvokeError{Kind: backend.KindThrottled, Err: err}
		case "RequestTooLargeException", "SerializedRequestEntityTooLargeException":
			return &backend.InvokeError{Kind: backend.KindTooLarge, Err: err}
		}
		if apiErr.ErrorFault() == smithy.FaultServer {
			return &backend.InvokeError{Kind: backend.KindUnavailable, Err: err}
		}
		return &backend.InvokeError{Kind: backend.KindRejected, Err: err}
	}
	return &backend.InvokeError{Kind: backend.KindUnavailable, Err: err}
}
