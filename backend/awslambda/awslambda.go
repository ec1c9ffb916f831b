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
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/portico/portico/backend"
)

// Client invokes one Lambda function. New builds it, Start loads the AWS
// configuration. Safe for concurrent use.
type Client struct {
	api       atomic.Pointer[lambda.Client] // nil until Start
	name      string
	qualifier *string
	timeout   time.Duration
	region    string
	endpoint  string
}

var (
	_ backend.Invoker = (*Client)(nil)
	_ backend.Starter = (*Client)(nil)
)

// New returns a Client for the function cfg names (cfg.FunctionName, else
// name). It does no I/O: Start loads the AWS configuration.
func New(name string, cfg *Config) (*Client, error) {
	c := &Client{name: cfg.FunctionName, timeout: cfg.Timeout, region: cfg.Region, endpoint: cfg.Endpoint}
	if c.name == "" {
		c.name = name
	}
	if cfg.Qualifier != "" {
		c.qualifier = aws.String(cfg.Qualifier)
	}
	return c, nil
}

// Start loads the AWS configuration (environment, shared config and
// credentials files) within ctx and builds the Lambda client. It contacts
// nothing: the first invocation does.
func (c *Client) Start(ctx context.Context) error {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryMaxAttempts(1)}
	if c.region != "" {
		opts = append(opts, awsconfig.WithRegion(c.region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("awslambda: %w", err)
	}
	if awsCfg.Region == "" {
		return errors.New("awslambda: no region: set region in the function's config or AWS_REGION")
	}
	c.api.Store(lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
		o.Retryer = aws.NopRetryer{}
	}))
	return nil
}

// Invoke calls the function synchronously and appends its payload to dst.
// Before Start it answers KindUnavailable with backend.ErrNotStarted.
func (c *Client) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	api := c.api.Load()
	if api == nil {
		return dst, &backend.InvokeError{Kind: backend.KindUnavailable, Err: backend.ErrNotStarted}
	}
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
	out, err := api.Invoke(ctx, in)
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
