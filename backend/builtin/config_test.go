package builtin

import (
	"testing"

	"github.com/portico/portico/internal/testkit"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string // "path: message" of each problem
	}{
		{"echo", Config{Handler: "echo"}, nil},
		{"mock", Config{Handler: "mock", Response: map[string]any{"statusCode": 200}}, nil},
		{"mock without response", Config{Handler: "mock"}, []string{"response: required for the mock builtin"}},
		{"no handler", Config{}, []string{"handler: required (echo or mock)"}},
		{"unknown handler", Config{Handler: "nope", Concurrency: -1},
			[]string{"concurrency: must not be negative", `handler: unknown builtin "nope" (want echo or mock)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ErrorsAre(t, tc.cfg.Validate(), tc.want)
		})
	}
}
