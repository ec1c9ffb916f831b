package httpbackend

import (
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string // "path: message" of each problem
	}{
		{"url", Config{URL: "https://h/x", Timeout: time.Second, Concurrency: 4}, nil},
		{"needs url", Config{}, []string{"url: required for backend http"}},
		{"bad url", Config{URL: "ftp://x"}, []string{`url: want an absolute http:// or https:// URL, got "ftp://x"`}},
		{"negative", Config{URL: "http://h/x", Timeout: -time.Second, Concurrency: -1},
			[]string{"timeout: must not be negative", "concurrency: must not be negative"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ErrorsAre(t, tc.cfg.Validate(), tc.want)
		})
	}
}
