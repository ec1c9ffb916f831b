package process

import (
	"strings"
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
		{"handler", Config{Handler: "./bootstrap"}, nil},
		{"go", Config{Runtime: "go", Source: "./fn"}, nil},
		{"nothing", Config{}, []string{"handler: required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)"}},
		{"both", Config{Handler: "x", Runtime: "go", Source: "y"}, []string{"handler: give either handler or runtime+source, not both"}},
		{"runtime", Config{Runtime: "node", Source: "y"}, []string{`runtime: unknown runtime "node" (want one of ` + strings.Join(knownRuntimes, ", ") + ")"}},
		{"go code", Config{Runtime: "go", Code: "/fn"}, nil},
		{"go code and source", Config{Runtime: "go", Code: "/fn", Source: "/fn"}, []string{"source: give either code or source, not both"}},
		{"nodejs", Config{Runtime: "nodejs20.x", Code: "/fn", Handler: "index.handler", Interpreter: "node"}, nil},
		{"nodejs nested", Config{Runtime: "nodejs22.x", Code: "/fn.zip", Handler: "src/app.handler"}, nil},
		{"python", Config{Runtime: "python3.12", Code: "/fn", Handler: "app.lambda_handler"}, nil},
		{"python package", Config{Runtime: "python3.11", Code: "/fn", Handler: "src/pkg.app.lambda_handler"}, nil},
		{"provided code", Config{Runtime: "provided.al2023", Code: "/fn.zip", Handler: "whatever"}, nil},
		{"provided handler", Config{Runtime: "provided.al2", Handler: "/fn/bootstrap"}, nil},
		{"provided nothing", Config{Runtime: "provided.al2"}, []string{"code: required with runtime provided.al2: a folder or .zip holding an executable bootstrap"}},
		{"nodejs without code", Config{Runtime: "nodejs20.x", Handler: "index.handler"}, []string{"code: required with runtime nodejs20.x: the package, a folder or a .zip"}},
		{"nodejs without handler", Config{Runtime: "nodejs20.x", Code: "/fn"},
			[]string{"handler: required with runtime nodejs20.x: FILE.EXPORT, e.g. index.handler or src/app.handler"}},
		{"nodejs bad handler", Config{Runtime: "nodejs20.x", Code: "/fn", Handler: "index"},
			[]string{`handler: want FILE.EXPORT, e.g. index.handler or src/app.handler, got "index"`}},
		{"nodejs handler leaves code", Config{Runtime: "nodejs20.x", Code: "/fn", Handler: "../index.handler"},
			[]string{`handler: want FILE.EXPORT, e.g. index.handler or src/app.handler, got "../index.handler"`}},
		{"python bad handler", Config{Runtime: "python3.12", Code: "/fn", Handler: "app"},
			[]string{`handler: want MODULE.FUNCTION, e.g. app.lambda_handler or src/app.lambda_handler, got "app"`}},
		{"code without runtime", Config{Code: "/fn", Handler: "index.handler"}, []string{"runtime: required with code: one of " + strings.Join(knownRuntimes, ", ")}},
		{"interpreter for go", Config{Runtime: "go", Code: "/fn", Interpreter: "node"}, []string{"interpreter: only for the nodejs* and python3.* runtimes, not go"}},
		{"interpreter without runtime", Config{Handler: "/fn/bootstrap", Interpreter: "node"}, []string{"interpreter: only for the nodejs* and python3.* runtimes"}},
		{"source for nodejs", Config{Runtime: "nodejs20.x", Code: "/fn", Handler: "index.handler", Source: "/src"}, []string{"source: only for runtime go: give the package as code"}},
		{"go without source", Config{Runtime: "go"}, []string{"source: required with runtime go: the folder of the function's main package"}},
		{"source without runtime", Config{Source: "y"}, []string{"handler: required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)"}},
		{"limits", Config{Handler: "x", Timeout: 901 * time.Second, Memory: 20000, Concurrency: 2, MinInstances: 3},
			[]string{"timeout: at most 900s (Lambda's limit)", "memory: want 128 to 10240 MB, got 20000", "minInstances: more than concurrency (2)"}},
		{"default concurrency", Config{Handler: "x", MinInstances: 11}, []string{"minInstances: more than the default concurrency (10)"}},
		{"negative", Config{Handler: "x", Timeout: -1, Concurrency: -1, MinInstances: -1, IdleTimeout: -1, QueueTimeout: -1},
			[]string{"timeout: must not be negative", "concurrency: must not be negative", "minInstances: must not be negative",
				"idleTimeout: must not be negative", "queueTimeout: must not be negative"}},
		{"env", Config{Handler: "x", Env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "x", "BIG": strings.Repeat("v", 5000)}},
			[]string{"env.AWS_LAMBDA_FUNCTION_NAME: reserved by Lambda: it cannot be set", "env: 5028 bytes: Lambda allows at most 4 KB of environment variables"}},
		{"inheritEnv", Config{Handler: "x", InheritEnv: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DB_URL", "_X"}}, nil},
		{"inheritEnv bad", Config{Handler: "x", Env: map[string]string{"GREETING": "hi"},
			InheritEnv: []string{"1ST", "A-B", "", "AWS_REGION", "AWS_LAMBDA_RUNTIME_API", "_HANDLER", "DB_URL", "DB_URL", "GREETING"}},
			[]string{
				`inheritEnv[0]: want a variable name (letters, digits and _, not starting with a digit), got "1ST"`,
				`inheritEnv[1]: want a variable name (letters, digits and _, not starting with a digit), got "A-B"`,
				`inheritEnv[2]: want a variable name (letters, digits and _, not starting with a digit), got ""`,
				"inheritEnv[3]: AWS_REGION is reserved by Lambda: it cannot be inherited",
				"inheritEnv[4]: AWS_LAMBDA_RUNTIME_API is reserved by Lambda: it cannot be inherited",
				"inheritEnv[5]: _HANDLER is reserved by Lambda: it cannot be inherited",
				"inheritEnv[7]: DB_URL is listed twice",
				"inheritEnv[8]: GREETING is also set in env: give one",
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ErrorsAre(t, tc.cfg.Validate(), tc.want)
		})
	}
}
