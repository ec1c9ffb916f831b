// Package platformtest serves a Portico config in the test's own process,
// as `portico serve` does, for the tests of packages above platform.
package platformtest

import (
	"context"
	"testing"

	"github.com/portico/portico/platform"
)

// Serve builds cfg with opts, starts it and serves it until the test
// ends; Serve's error then fails the test. It returns the platform.
func Serve(t testing.TB, cfg *platform.Config, opts ...platform.Option) *platform.Platform {
	t.Helper()
	p, err := platform.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		p.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- platform.Serve(ctx, p, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return p
}
