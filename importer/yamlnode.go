package importer

import "go.yaml.in/yaml/v3"

// The YAML node helpers every format's importer reads its file with.

// maxAliasHops bounds following a chain of YAML aliases.
const maxAliasHops = 64

// deref follows YAML aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasHops; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key of a mapping node and its value.
type pair struct {
	key   string
	line  int
	k     *yaml.Node // the key's node, for its position
	value *yaml.Node // aliases followed
}

// pairs are the entries of mapping n in their order, aliases followed;
// none for another kind.
func pairs(n *yaml.Node) []pair {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		out = append(out, pair{key: k.Value, line: k.Line, k: k, value: deref(n.Content[i+1])})
	}
	return out
}

// get is the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(n) {
		if p.key == key {
			return p.value
		}
	}
	return nil
}

// scalar is n's text when n is a scalar.
func scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// contentOf is the items of sequence n; none for another kind.
func contentOf(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// scalars is the scalar items of sequence n, others left out.
func scalars(n *yaml.Node) []string {
	var out []string
	for _, c := range contentOf(n) {
		if v, ok := scalar(deref(c)); ok {
			out = append(out, v)
		}
	}
	return out
}
