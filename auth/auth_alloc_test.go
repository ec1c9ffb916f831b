//go:build !race

package auth

import (
	"context"
	"testing"
)

// TestAllocs holds the hot paths to their budget: a cached token, a cached
// Lambda answer and an API key cost no allocation.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(testing.TB) (*Authenticator, *Request)
	}{
		{"jwt cached", benchJWT},
		{"lambda cached", benchLambda},
		{"api key", benchAPIKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, req := tc.setup(t)
			ctx := context.Background()
			got := testing.AllocsPerRun(100, func() {
				if _, err := a.Authenticate(ctx, req); err != nil {
					t.Fatal(err)
				}
			})
			if got != 0 {
				t.Errorf("allocations: got %v, want 0", got)
			}
		})
	}
}
