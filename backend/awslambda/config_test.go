package awslambda

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
		{"arn", Config{FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:f", Qualifier: "live", Region: "eu-west-1"}, nil},
		{"endpoint", Config{Endpoint: "http://localhost:4566"}, nil},
		{"bad", Config{Qualifier: "a/b", Endpoint: "localstack"},
			[]string{`qualifier: want a version or alias (letters, digits, $, _ and -), got "a/b"`, `endpoint: want an absolute http:// or https:// URL, got "localstack"`}},
		{"negative", Config{Concurrency: -2}, []string{"concurrency: must not be negative"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ErrorsAre(t, tc.cfg.Validate(), tc.want)
		})
	}
}
