// Package lambdaenv is the one list of the environment variables Lambda
// sets itself and a function's configuration cannot: the process backend
// refuses them in `env:`, the importers leave them out of what they carry
// over.
package lambdaenv

import "strings"

// reserved are the variables Lambda sets and functions cannot override,
// besides every AWS_LAMBDA_ one.
var reserved = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true,
	"AWS_SESSION_TOKEN": true, "AWS_ACCESS_KEY": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// Reserved reports whether Lambda sets k, so that a function cannot.
func Reserved(k string) bool { return reserved[k] || strings.HasPrefix(k, "AWS_LAMBDA_") }
