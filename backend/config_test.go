package backend

import (
	"strings"
	"testing"
	"time"
)

func TestFunctionConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  FunctionConfig
		want []string // "path: message" of each problem
	}{
		{"builtin echo", FunctionConfig{Backend: "builtin", Handler: "echo"}, nil},
		{"no backend", FunctionConfig{}, []string{"backend: required (builtin, http, process or lambda)"}},
		{"lambda", FunctionConfig{Backend: "lambda", FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:f", Qualifier: "live", Region: "eu-west-1"}, nil},
		{"lambda bad", FunctionConfig{Backend: "lambda", Qualifier: "a/b", Endpoint: "localstack", Memory: 256},
			[]string{"memory: not used by backend lambda", `qualifier: want a version or alias (letters, digits, $, _ and -), got "a/b"`, `endpoint: want an absolute http:// or https:// URL, got "localstack"`}},
		{"http needs url", FunctionConfig{Backend: "http"}, []string{"url: required for backend http"}},
		{"http bad url", FunctionConfig{Backend: "http", URL: "ftp://x"}, []string{`url: want an absolute http:// or https:// URL, got "ftp://x"`}},
		{"field of another backend", FunctionConfig{Backend: "http", URL: "http://h/x", Memory: 256}, []string{"memory: not used by backend http"}},
		{"process handler", FunctionConfig{Backend: "process", Handler: "./bootstrap"}, nil},
		{"process go", FunctionConfig{Backend: "process", Runtime: "go", Source: "./fn"}, nil},
		{"process nothing", FunctionConfig{Backend: "process"}, []string{"handler: required: an executable, a folder holding bootstrap, or a .zip (or runtime: go with source)"}},
		{"process both", FunctionConfig{Backend: "process", Handler: "x", Runtime: "go", Source: "y"}, []string{"handler: give either handler or runtime+source, not both"}},
		{"process runtime", FunctionConfig{Backend: "process", Runtime: "node", Source: "y"}, []string{`runtime: unknown runtime "node" (want go)`}},
		{"process limits", FunctionConfig{Backend: "process", Handler: "x", Timeout: 901 * time.Second, Memory: 20000, Concurrency: 2, MinInstances: 3},
			[]string{"timeout: at most 900s (Lambda's limit)", "memory: want 128 to 10240 MB, got 20000", "minInstances: more than concurrency (2)"}},
		{"process env", FunctionConfig{Backend: "process", Handler: "x", Env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "x", "BIG": strings.Repeat("v", 5000)}},
			[]string{"env.AWS_LAMBDA_FUNCTION_NAME: reserved by Lambda: it cannot be set", "env: 5028 bytes: Lambda allows at most 4 KB of environment variables"}},
		{"process inheritEnv", FunctionConfig{Backend: "process", Handler: "x", InheritEnv: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DB_URL", "_X"}}, nil},
		{"process inheritEnv bad", FunctionConfig{Backend: "process", Handler: "x", Env: map[string]string{"GREETING": "hi"},
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
		{"inheritEnv elsewhere", FunctionConfig{Backend: "http", URL: "http://h/x", InheritEnv: []string{"A"}}, []string{"inheritEnv: not used by backend http"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, err := range tc.cfg.Validate() {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
