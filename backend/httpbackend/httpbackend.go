// Package httpbackend invokes a function by POSTing its event to any
// endpoint that speaks the Lambda Invoke API (the Runtime Interface
// Emulator, LocalStack, another Portico), over pooled keep-alive
// connections.
//
// The endpoint's answer is read as Lambda's: 200 with the result as the
// body; X-Amz-Function-Error marks a function error; any other status is an
// invocation error classified from the status (429 throttled, 413 too large,
// 4xx rejected, 5xx unavailable). A refused or dropped connection is
// unavailable, and a deadline that passes is a timeout.
package httpbackend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
)

// Client invokes one function endpoint. Safe for concurrent use.
type Client struct {
	hc      *fasthttp.HostClient
	header  fasthttp.RequestHeader // every invocation's request line and headers, built once
	timeout time.Duration
}

var _ backend.Invoker = (*Client)(nil)

// New returns a Client for cfg.URL. cfg.Timeout (zero: none) bounds each
// wait for the endpoint; cfg.Concurrency (zero: 512) caps open connections.
func New(cfg *Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpbackend: bad url %q", cfg.URL)
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	maxConns := cfg.Concurrency
	if maxConns == 0 {
		maxConns = 512
	}
	c := &Client{
		hc: &fasthttp.HostClient{
			Addr:                          addr,
			IsTLS:                         u.Scheme == "https",
			MaxConns:                      maxConns,
			MaxIdleConnDuration:           10 * time.Second,
			MaxResponseBodySize:           lambdalimit.ResponseBytes,
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			// An invocation is never retried: API Gateway does not retry
			// Lambda, and a function must not run twice for one request.
			RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		},
		timeout: cfg.Timeout,
	}
	c.header.DisableNormalizing()
	c.header.SetMethod(fasthttp.MethodPost)
	c.header.SetRequestURI(u.RequestURI())
	c.header.SetHost(u.Host)
	c.header.SetContentType("application/json")
	c.header.Set("X-Amz-Invocation-Type", "RequestResponse")
	return c, nil
}

// Invoke POSTs inv.Event and appends the endpoint's result to dst.
func (c *Client) Invoke(ctx context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	deadline, ok := ctx.Deadline()
	if c.timeout > 0 {
		if d := time.Now().Add(c.timeout); !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	if !ok {
		deadline = time.Now().Add(24 * time.Hour)
	}

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.header.CopyTo(&req.Header)
	if inv.ClientContext != nil {
		req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(inv.ClientContext))
	}
	req.SetBodyRaw(inv.Event)

	if err := c.hc.DoDeadline(req, resp, deadline); err != nil {
		return dst, classify(err)
	}
	status := resp.StatusCode()
	if status < 200 || status > 299 {
		return dst, &backend.InvokeError{Kind: kindForStatus(status), Err: fmt.Errorf("endpoint answered %d: %.200s", status, resp.Body())}
	}
	if fe := resp.Header.Peek("X-Amz-Function-Error"); len(fe) > 0 {
		return dst, &backend.FunctionError{Type: string(fe), Payload: append([]byte(nil), resp.Body()...)}
	}
	return append(dst, resp.Body()...), nil
}

func classify(err error) error {
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout), errors.Is(err, context.DeadlineExceeded):
		return &backend.InvokeError{Kind: backend.KindTimeout, Err: err}
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return backend.NewFunctionError("Function.ResponseSizeTooLarge", lambdalimit.ResponseTooLargeMessage)
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return &backend.InvokeError{Kind: backend.KindThrottled, Err: err}
	}
	return &backend.InvokeError{Kind: backend.KindUnavailable, Err: err}
}

func kindForStatus(status int) backend.Kind {
	switch {
	case status == fasthttp.StatusTooManyRequests:
		return backend.KindThrottled
	case status == fasthttp.StatusRequestEntityTooLarge:
		return backend.KindTooLarge
	case status >= 400 && status < 500:
		return backend.KindRejected
	}
	return backend.KindUnavailable
}

// Close drops the idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}
