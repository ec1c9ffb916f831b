package config

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Union is implemented (pointer receiver) by a config value whose keys
// depend on the value of one of them, such as a block whose `kind:` picks
// which other keys it takes. Decode reads the selecting key first, then
// decodes the other keys strictly into the struct for that kind, and reports
// a key of another kind as not used by this one.
type Union interface {
	// UnionKey is the selecting key, e.g. "backend".
	UnionKey() string
	// UnionKinds are the known kinds, in the order messages list them.
	UnionKinds() []string
	// NewKind returns a fresh pointer to the struct that decodes the
	// block's other keys for kind, or nil for an unknown kind.
	NewKind(kind string) any
	// SetKind stores the value decoded for kind, a pointer NewKind returned.
	SetKind(kind string, v any)
}

// union decodes the mapping n, the value at path, into u.
func (d *decodeState) union(n, at *yaml.Node, path string, u Union) {
	if n.Kind != yaml.MappingNode {
		d.errorf(at, path, "expected a mapping, got %s", describeNode(n))
		return
	}
	pairs := d.pairs(n, path)
	kind, rest, ok := d.unionKind(at, path, u, pairs)
	if !ok {
		return
	}
	v := reflect.ValueOf(u.NewKind(kind))
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		d.errorf(at, path, "BUG: %T.NewKind(%q) is not a pointer to a struct", u, kind)
		return
	}
	d.fields(rest, path, v.Elem(), func(p yamlPair, name string) {
		if other := otherKind(u, kind, name); other != "" {
			d.errorf(p.value, childPath(path, name), "not used by %s %s", u.UnionKey(), kind)
		} else {
			d.errorf(p.key, path, "unknown field %q%s", name, Suggest(name, unionNames(u)))
		}
	})
	u.SetKind(kind, v.Interface())
}

// unionKind decodes the selecting key of u among pairs and returns its
// value and the other pairs, or reports it missing or unknown.
func (d *decodeState) unionKind(at *yaml.Node, path string, u Union, pairs []yamlPair) (string, []yamlPair, bool) {
	key, kinds := u.UnionKey(), u.UnionKinds()
	child := childPath(path, key)
	for i, p := range pairs {
		if k := resolveKey(p.key); k.Kind != yaml.ScalarNode || k.Value != key {
			continue
		}
		d.record(child+"#key", p.key)
		var kind string
		before := len(d.errs)
		d.decode(p.value, child, reflect.ValueOf(&kind).Elem(), fieldOpts{})
		switch {
		case len(d.errs) > before || d.stopped:
			return "", nil, false
		case u.NewKind(kind) == nil:
			d.errorf(p.value, child, "unknown %s %q (want %s)", key, kind, orList(kinds))
			return "", nil, false
		}
		return kind, append(pairs[:i:i], pairs[i+1:]...), true
	}
	d.errorf(at, child, "required (%s)", orList(kinds))
	return "", nil, false
}

// otherKind returns the first kind of u but kind that has a field name, or "".
func otherKind(u Union, kind, name string) string {
	for _, k := range u.UnionKinds() {
		if k == kind {
			continue
		}
		if _, ok := kindFields(u, k).byName[name]; ok {
			return k
		}
	}
	return ""
}

// unionNames returns the selecting key and the keys of every kind of u.
func unionNames(u Union) []string {
	names := []string{u.UnionKey()}
	for _, k := range u.UnionKinds() {
		names = append(names, kindFields(u, k).names...)
	}
	return names
}

// kindFields returns the fields of the struct that decodes kind.
func kindFields(u Union, kind string) *structFields {
	v := reflect.ValueOf(u.NewKind(kind))
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return &structFields{}
	}
	return fieldsOf(v.Elem().Type())
}

// orList writes words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
