package config

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestSyntaxErrorText pins the error texts of yaml.v3 that syntaxError reads
// to work out a line. If this fails after a yaml.v3 upgrade, the texts or
// their line numbers changed: update syntaxError and its tables to match,
// so that every syntax error still points at the right line.
func TestSyntaxErrorText(t *testing.T) {
	tests := []struct {
		name, doc string
		raw       string // what yaml.v3 says
		want      string // what Decode says
	}{
		{"parser problem, 0-based line", "listen: a\nstage: b\n- c\n",
			"yaml: line 2: did not find expected key", "c.yaml:3: did not find expected key"},
		{"parser problem on line 1, no line", "routes: [a]]\n",
			"yaml: did not find expected key", "c.yaml:1: did not find expected key"},
		{"parser problem in a flow mapping", "a: {b: c\nd: e\n",
			"yaml: line 1: did not find expected ',' or '}'", "c.yaml:2: did not find expected ',' or '}'"},
		{"scanner problem, 1-based line", "listen: a\nadmin: b: c\n",
			"yaml: line 2: mapping values are not allowed in this context", "c.yaml:2: mapping values are not allowed in this context"},
		{"scanner problem on line 1, no line", "listen: b: c\n",
			"yaml: mapping values are not allowed in this context", "c.yaml:1: mapping values are not allowed in this context"},
		{"unknown anchor, no line", "listen: a\nstage: *nope\n",
			"yaml: unknown anchor 'nope' referenced", "c.yaml:2:8: unknown anchor 'nope' referenced"},
		{"reader problem, no line (the first byte badChar finds)", "\xff\xfel\x00:\x00 \x00\x01\x00",
			"yaml: control characters are not allowed", "c.yaml:1:1: control characters are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.doc), &n)
			if err == nil || err.Error() != tt.raw {
				t.Errorf("yaml.v3 changed: got %v, want %q; update syntaxError", err, tt.raw)
			}
			var c struct{}
			if _, err := Decode("c.yaml", []byte(tt.doc), &c); err == nil || err.Error() != tt.want {
				t.Errorf("Decode: got %v, want %q", err, tt.want)
			}
		})
	}
}
