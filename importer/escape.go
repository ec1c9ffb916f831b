package importer

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// escapeNode keeps every string of an encoded config literal through the
// config's ${VAR} expansion: nothing a source holds is meant as one of
// Portico's environment references (a template's own ${...} were resolved
// or are text for the function), so each "${" and "$$" of a value is
// escaped wherever it sits. Keys are left: the config never expands them.
func escapeNode(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" {
			n.Value = escapeDollar(n.Value)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeNode(n.Content[i])
		}
	default:
		for _, c := range n.Content {
			escapeNode(c)
		}
	}
}

// escapeDollar doubles each "$" that starts "${" or "$$", which the
// config's expansion reads back as the text itself; "$default" stays as it
// is.
func escapeDollar(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '{') {
			b.WriteByte('$')
		}
	}
	return b.String()
}
