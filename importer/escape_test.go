package importer

import (
	"testing"

	"github.com/portico/portico/config"
)

// TestMarshalKeepsDollarText: whatever field of an import holds "${...}" or
// "$$", the config written reads back as that text, not as an environment
// reference (an unset one would refuse the whole config).
func TestMarshalKeepsDollarText(t *testing.T) {
	const text = "a ${X} b $$ c $default"
	app := &App{
		StageVariables: map[string]string{"v": text},
		CORS:           &CORS{AllowOrigins: []string{text}},
		Authorizers:    map[string]*Authorizer{"jwt": {Type: "jwt", Issuer: text}},
		Functions: map[string]*Function{
			"fn":   {Backend: "process", Runtime: "python3.12", Code: ".", Handler: text, Env: map[string]string{"E": text}},
			"mock": {Backend: "builtin", Handler: "mock", Response: map[string]any{"headers": map[string]string{"h": text}}},
		},
		Schedules: []Schedule{{Name: "s", Function: "fn", Expression: "rate(1 hour)", Input: map[string]any{"list": []any{text}}}},
	}
	data, err := Marshal(app, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		StageVariables any `yaml:"stageVariables"`
		CORS           any `yaml:"cors"`
		Authorizers    any `yaml:"authorizers"`
		Functions      any `yaml:"functions"`
		Schedules      any `yaml:"schedules"`
	}
	unset := func(string) (string, bool) { return "", false }
	if _, err := config.Decode("imported.yaml", data, &doc, config.WithLookup(unset)); err != nil {
		t.Fatalf("the config refuses the import: %v\n%s", err, data)
	}
	got := map[string]any{"stageVariables": doc.StageVariables, "cors": doc.CORS,
		"authorizers": doc.Authorizers, "functions": doc.Functions, "schedules": doc.Schedules}
	at := func(v any, path ...any) any {
		for _, p := range path {
			switch p := p.(type) {
			case string:
				v = v.(map[string]any)[p]
			case int:
				v = v.([]any)[p]
			}
		}
		return v
	}
	for _, path := range [][]any{
		{"stageVariables", "v"},
		{"cors", "allowOrigins", 0},
		{"authorizers", "jwt", "issuer"},
		{"functions", "fn", "handler"},
		{"functions", "fn", "env", "E"},
		{"functions", "mock", "response", "headers", "h"},
		{"schedules", 0, "input", "list", 0},
	} {
		if v := at(got, path...); v != text {
			t.Errorf("%v: read back as %q, want %q", path, v, text)
		}
	}
}

func TestEscapeDollar(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "$default": "$default", "${X}": "$${X}", "$$": "$$$", "a$": "a$"} {
		if got := escapeDollar(in); got != want {
			t.Errorf("escapeDollar(%q): got %q, want %q", in, got, want)
		}
	}
}
