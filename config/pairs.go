package config

import (
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yamlPair is one entry of a mapping; pairs uses a nil key for a merge.
type yamlPair struct{ key, value *yaml.Node }

// pairs returns the entries of the mapping m in file order, with merge keys
// ("<<: *base") replaced by the entries they bring in: a key written in m
// wins over a merged one, and an earlier merged mapping wins over a later
// one. It reports duplicate keys, keeping the first.
func (d *decodeState) pairs(m *yaml.Node, path string) []yamlPair {
	out := make([]yamlPair, 0, len(m.Content)/2)
	seen := make(map[string]*yaml.Node, len(m.Content)/2)
	merges := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !d.visit(k, path) {
			return nil
		}
		rk := resolveKey(k)
		if rk.Kind == yaml.ScalarNode && rk.ShortTag() == "!!merge" {
			merges = true
			out = append(out, yamlPair{nil, v})
			continue
		}
		if rk.Kind == yaml.ScalarNode {
			if first, dup := seen[rk.Value]; dup {
				d.errorf(k, childPath(path, rk.Value), "duplicate key %q (first at %d:%d)", rk.Value, first.Line, first.Column)
				continue
			}
			seen[rk.Value] = k
		}
		out = append(out, yamlPair{k, v})
	}
	if !merges {
		return out
	}
	// Every key written in m is in seen now: bring in the merged ones.
	merged := make([]yamlPair, 0, len(out))
	for _, p := range out {
		if p.key != nil {
			merged = append(merged, p)
		} else {
			merged = d.merge(merged, seen, p.value, path, false)
		}
	}
	return merged
}

// merge appends the pairs of v, the value of a merge key in the mapping at
// path, to out, leaving out keys in seen. Only a mapping or (when !inList) a
// list of mappings can be merged.
func (d *decodeState) merge(out []yamlPair, seen map[string]*yaml.Node, v *yaml.Node, path string, inList bool) []yamlPair {
	if !d.visit(v, path) {
		return out
	}
	t := d.follow(v, path)
	if t == nil {
		return out
	}
	defer d.leave(t)
	switch {
	case t.Kind == yaml.MappingNode:
		for _, p := range d.pairs(t, path) {
			if k := resolveKey(p.key); k.Kind == yaml.ScalarNode {
				if _, dup := seen[k.Value]; dup {
					continue
				}
				seen[k.Value] = k
			}
			out = append(out, p)
		}
	case t.Kind == yaml.SequenceNode && !inList:
		for _, s := range t.Content {
			out = d.merge(out, seen, s, path, true)
		}
	default:
		d.errorf(v, path, "a merge (<<) needs a mapping or a list of mappings, got %s", describeNode(t))
	}
	return out
}

// key returns the text of the mapping key k, reporting a key that is not a
// scalar. Keys are not expanded.
func (d *decodeState) key(k *yaml.Node, path string) (string, bool) {
	k = resolveKey(k)
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "a mapping key must be a string, got %s", describeNode(k))
		return "", false
	}
	return k.Value, true
}

// resolveKey returns the node the mapping key k stands for.
func resolveKey(k *yaml.Node) *yaml.Node {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		return k.Alias
	}
	return k
}

// isNull reports whether n is a YAML null: ~, null or nothing at all.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describeNode names the kind of value n holds, for messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		}
		return "a string"
	case yaml.AliasNode:
		if n.Alias != nil {
			return describeNode(n.Alias)
		}
	}
	return "nothing"
}

// quoteValue quotes s for a message, shortening it past 40 characters.
func quoteValue(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:37]) + "..."
	}
	return strconv.Quote(s)
}
