// Package builtin runs functions inside the gateway: `echo` answers with the
// event it was given, and `mock` answers with a fixed result from the config,
// as API Gateway's MOCK integration does. Both go through the same event
// encoding and result decoding as every other backend, so they measure the
// gateway's own cost.
package builtin

import (
	"context"
	"fmt"

	"github.com/goccy/go-json"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/jsonbytes"
)

// Echo returns a 200 proxy result whose JSON body is the event.
type Echo struct{}

var _ backend.Invoker = Echo{}

const (
	echoHead = `{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"`
	echoTail = `"}`
)

// Invoke appends the echo result for inv.Event to dst.
func (Echo) Invoke(_ context.Context, inv *backend.Invocation, dst []byte) ([]byte, error) {
	dst = append(dst, echoHead...)
	dst = jsonbytes.AppendStringBody(dst, inv.Event)
	return append(dst, echoTail...), nil
}

// Mock returns the same result for every invocation.
type Mock struct {
	result []byte
}

var _ backend.Invoker = (*Mock)(nil)

// NewMock returns a Mock whose result is response encoded as JSON.
func NewMock(response any) (*Mock, error) {
	b, err := json.Marshal(response)
	if err != nil {
		return nil, fmt.Errorf("builtin: mock response: %w", err)
	}
	return &Mock{result: b}, nil
}

// Invoke appends the configured result to dst.
func (m *Mock) Invoke(_ context.Context, _ *backend.Invocation, dst []byte) ([]byte, error) {
	return append(dst, m.result...), nil
}

// New returns the builtin named by cfg.Handler.
func New(cfg *Config) (backend.Invoker, error) {
	switch cfg.Handler {
	case "echo":
		return Echo{}, nil
	case "mock":
		return NewMock(cfg.Response)
	}
	return nil, fmt.Errorf("builtin: unknown handler %q", cfg.Handler)
}
