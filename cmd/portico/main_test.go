package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

const goodConfig = `
functions:
  echo: {backend: builtin, handler: echo}
  teapot: {backend: builtin, handler: mock, response: {statusCode: 418}}
routes:
  - {route: "GET /pets/{id}", function: echo, payload: "1.0", timeout: 5s}
  - {route: $default, function: teapot}
`

func TestCommands(t *testing.T) {
	good := writeConfig(t, goodConfig)
	bad := writeConfig(t, "functions: {echo: {backend: builtin, handler: echo, timout: 1s}}\nroutes: [{route: GET /a, function: nope}]\n")
	cases := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings
		stderr    []string
		notStdout string
	}{
		{"validate ok", []string{"validate", "--config", good}, 0, []string{good + ": ok"}, nil, ""},
		{"validate bad", []string{"validate", "--config", bad}, 1, nil, []string{
			bad + `:1:53: functions.echo: unknown field "timout" (did you mean "timeout"?)`,
			bad + `:2:36: routes[0].function: unknown function "nope"`}, ""},
		{"validate without config", []string{"validate"}, 2, nil, []string{"--config is required"}, ""},
		{"routes", []string{"routes", "--config", good}, 0, []string{
			"ROUTE", "GET /pets/{id}  echo      builtin  1.0      5s", "$default        teapot    builtin  2.0      30s"}, nil, ""},
		{"invoke", []string{"invoke", "--config", good, "teapot"}, 0, []string{`{"statusCode":418}`}, nil, ""},
		{"invoke flags after the name", []string{"invoke", "teapot", "--config", good, "--payload", `{"a":1}`}, 0, []string{`{"statusCode":418}`}, nil, ""},
		{"invoke echo payload", []string{"invoke", "--config", good, "echo", "--payload", `{"a":1}`}, 0, []string{`"body":"{\"a\":1}"`}, nil, ""},
		{"invoke unknown", []string{"invoke", "--config", good, "nope"}, 1, nil, []string{`backend: function not found: "nope"`}, ""},
		{"invoke bad payload", []string{"invoke", "--config", good, "echo", "--payload", `{`}, 1, nil, []string{"payload is not valid JSON"}, ""},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}
