package config

import (
	"go.yaml.in/yaml/v3"
)

// anyValue decodes n into plain Go values: map[string]any, []any, string,
// int, float64, bool or nil (and uint64 past math.MaxInt64), as yaml.v3
// decodes into an interface, but for timestamps, which stay strings. A plain
// scalar that expansion changed gets its type from its new text, so
// `${PORT:-80}` is an int.
func (d *decodeState) anyValue(n, at *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		return d.anyMap(n, path)
	case yaml.SequenceNode:
		return d.anyList(n, path)
	case yaml.ScalarNode:
		return d.anyScalar(n, at, path)
	default:
		d.errorf(at, path, "BUG: unexpected YAML node kind %d", n.Kind)
		return nil, false
	}
}

func (d *decodeState) anyMap(n *yaml.Node, path string) (any, bool) {
	m := make(map[string]any, len(n.Content)/2)
	ok := true
	for _, p := range d.pairs(n, path) {
		name, kok := d.key(p.key, path)
		if !kok {
			ok = false
			continue
		}
		child := childPath(path, name)
		d.record(child+"#key", p.key)
		x, xok := d.anyChild(p.value, child)
		m[name] = x
		ok = ok && xok
	}
	return m, ok
}

func (d *decodeState) anyList(n *yaml.Node, path string) (any, bool) {
	s := make([]any, len(n.Content))
	ok := true
	for i, item := range n.Content {
		x, xok := d.anyChild(item, indexPath(path, i))
		s[i] = x
		ok = ok && xok
	}
	return s, ok
}

// anyChild decodes n, the value at path inside a plain value.
func (d *decodeState) anyChild(n *yaml.Node, path string) (any, bool) {
	t := d.enter(n, path)
	if t == nil {
		return nil, false
	}
	defer d.leave(t)
	return d.anyValue(t, n, path)
}

func (d *decodeState) anyScalar(n, at *yaml.Node, path string) (any, bool) {
	s, ok := d.expand(n, at, path)
	if !ok {
		return nil, false
	}
	c := *n
	c.Value = s
	if s != n.Value && n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		c.Tag = "" // resolved from the new text
	}
	tag := c.ShortTag()
	if tag == "!!timestamp" {
		return s, true
	}
	var x any
	if err := c.Decode(&x); err != nil {
		if tag == "!!binary" {
			d.errorf(at, path, "!!binary value is not valid base64")
		} else {
			d.errorf(at, path, "cannot decode %s as %s", quoteValue(s), tag)
		}
		return nil, false
	}
	return x, true
}
