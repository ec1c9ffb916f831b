package config

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	unionType    = reflect.TypeFor[Union]()
	resolverType = reflect.TypeFor[PathResolver]()
	shortType    = reflect.TypeFor[Shorthand]()
)

// value decodes n into v; at is where errors about the value as a whole go
// (the alias, when n was reached through one).
func (d *decodeState) value(n, at *yaml.Node, path string, v reflect.Value, opts fieldOpts) {
	if isNull(n) && takeNull(v) {
		return
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(unionType) {
		d.union(n, at, path, v.Addr().Interface().(Union))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, at, path, v.Elem(), opts)
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && v.CanAddr() && reflect.PointerTo(v.Type()).Implements(shortType) {
			n = shorthandMapping(n, v.Addr().Interface().(Shorthand).ShorthandKey())
		}
		d.structValue(n, at, path, v)
	case reflect.Map:
		d.mapValue(n, at, path, v, opts)
	case reflect.Slice:
		d.sliceValue(n, at, path, v, opts)
	case reflect.Interface:
		d.interfaceValue(n, at, path, v)
	default:
		d.scalarValue(n, at, path, v, opts)
	}
}

// takeNull applies a null to v and reports whether it could: a null leaves
// a struct, map, slice or pointer as it was and sets an interface to nil.
func takeNull(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Map, reflect.Slice:
		return true
	case reflect.Interface:
		v.SetZero()
		return true
	}
	return false
}

func (d *decodeState) structValue(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(at, path, "expected a mapping, got %s", describeNode(n))
		return
	}
	names := fieldsOf(v.Type()).names
	d.fields(d.pairs(n, path), path, v, func(p yamlPair, name string) {
		d.errorf(p.key, path, "unknown field %q%s", name, Suggest(name, names))
	})
}

// fields decodes pairs, the entries of the mapping at path, into the fields
// of the struct v, and calls unknown for a key that is no field of it.
func (d *decodeState) fields(pairs []yamlPair, path string, v reflect.Value, unknown func(p yamlPair, name string)) {
	info := fieldsOf(v.Type())
	for _, p := range pairs {
		name, ok := d.key(p.key, path)
		if !ok {
			continue
		}
		f, ok := info.byName[name]
		if !ok {
			unknown(p, name)
			continue
		}
		child := childPath(path, name)
		d.record(child+"#key", p.key)
		d.decode(p.value, child, v.FieldByIndex(f.index), f.opts)
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(resolverType) {
		v.Addr().Interface().(PathResolver).ResolvePaths(d.dir)
	}
}

func (d *decodeState) mapValue(n, at *yaml.Node, path string, v reflect.Value, opts fieldOpts) {
	typ := v.Type()
	if typ.Key().Kind() != reflect.String {
		d.errorf(at, path, "BUG: cannot decode into %s", typ)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(at, path, "expected a mapping, got %s", describeNode(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(typ))
	}
	for _, p := range d.pairs(n, path) {
		name, ok := d.key(p.key, path)
		if !ok {
			continue
		}
		child := childPath(path, name)
		d.record(child+"#key", p.key)
		k := reflect.ValueOf(name).Convert(typ.Key())
		elem := reflect.New(typ.Elem()).Elem()
		if old := v.MapIndex(k); old.IsValid() {
			elem.Set(old)
		}
		d.decode(p.value, child, elem, fieldOpts{path: opts.path})
		v.SetMapIndex(k, elem)
	}
}

func (d *decodeState) sliceValue(n, at *yaml.Node, path string, v reflect.Value, opts fieldOpts) {
	itemOpts := fieldOpts{path: opts.path}
	switch {
	case n.Kind == yaml.SequenceNode:
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, indexPath(path, i), s.Index(i), itemOpts)
		}
		v.Set(s)
	case opts.scalarList && n.Kind == yaml.ScalarNode:
		// The one value is the list's: it keeps the list's path.
		s := reflect.MakeSlice(v.Type(), 1, 1)
		d.value(n, at, path, s.Index(0), itemOpts)
		v.Set(s)
	case opts.scalarList:
		d.errorf(at, path, "expected a list or a single value, got %s", describeNode(n))
	default:
		d.errorf(at, path, "expected a list, got %s", describeNode(n))
	}
}

func (d *decodeState) interfaceValue(n, at *yaml.Node, path string, v reflect.Value) {
	if v.NumMethod() != 0 {
		d.errorf(at, path, "BUG: cannot decode into %s", v.Type())
		return
	}
	if x, ok := d.anyValue(n, at, path); ok {
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
	}
}

func (d *decodeState) scalarValue(n, at *yaml.Node, path string, v reflect.Value, opts fieldOpts) {
	if v.Type() == durationType {
		d.durationValue(n, at, path, v)
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, at, path, "a string"); ok {
			if opts.path && d.dir != "" && s != "" && !filepath.IsAbs(s) {
				s = filepath.Join(d.dir, s)
			}
			v.SetString(s)
		}
	case reflect.Bool:
		d.boolValue(n, at, path, v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.intValue(n, at, path, v)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		d.uintValue(n, at, path, v)
	case reflect.Float32, reflect.Float64:
		d.floatValue(n, at, path, v)
	default:
		d.errorf(at, path, "BUG: cannot decode into %s", v.Type())
	}
}

// scalar returns the expanded text of the scalar n, or reports that n is
// not the kind of value want names.
func (d *decodeState) scalar(n, at *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(at, path, "expected %s, got %s", want, describeNode(n))
		return "", false
	}
	return d.expand(n, at, path)
}

// expand returns the expanded value of the scalar n.
func (d *decodeState) expand(n, at *yaml.Node, path string) (string, bool) {
	s, errs := expandEnv(n.Value, d.lookup)
	for _, err := range errs {
		d.errorf(at, path, "%v", err)
	}
	return s, len(errs) == 0
}

// plainScalar returns a plain scalar node holding s, which converts to a
// boolean or number as s would written plain: a quoted "8080" or an expanded
// ${PORT} is a number too.
func plainScalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func (d *decodeState) boolValue(n, at *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, at, path, "a boolean")
	if !ok {
		return
	}
	// yaml.v3 converts YAML 1.1's yes, on and y to a bool too; YAML 1.2 and
	// JSON say true or false.
	var b bool
	if p := plainScalar(s); p.ShortTag() != "!!bool" || p.Decode(&b) != nil {
		d.errorf(at, path, "expected a boolean (true or false), got %s", quoteValue(s))
		return
	}
	v.SetBool(b)
}

func (d *decodeState) floatValue(n, at *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, at, path, "a number")
	if !ok {
		return
	}
	var f float64
	if err := plainScalar(s).Decode(&f); err != nil || v.OverflowFloat(f) {
		d.errorf(at, path, "expected a number, got %s", quoteValue(s))
		return
	}
	v.SetFloat(f)
}

// Integers are parsed here rather than by yaml.v3, which reads 010 as octal
// (YAML 1.1) and truncates 1.5 to 1.

func (d *decodeState) intValue(n, at *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, at, path, "an integer")
	if !ok {
		return
	}
	bits := v.Type().Bits()
	i, err := strconv.ParseInt(intArgs(s))
	if err == nil && v.OverflowInt(i) {
		err = strconv.ErrRange
	}
	switch {
	case errors.Is(err, strconv.ErrRange):
		d.errorf(at, path, "expected an integer from %d to %d, got %s", int64(-1)<<(bits-1), uint64(1)<<(bits-1)-1, quoteValue(s))
	case err != nil:
		d.errorf(at, path, "expected an integer, got %s", quoteValue(s))
	default:
		v.SetInt(i)
	}
}

func (d *decodeState) uintValue(n, at *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, at, path, "a non-negative integer")
	if !ok {
		return
	}
	u, err := strconv.ParseUint(intArgs(s))
	if err == nil && v.OverflowUint(u) {
		err = strconv.ErrRange
	}
	if err == nil {
		v.SetUint(u)
		return
	}
	// A negative integer is out of range too.
	if _, ierr := strconv.ParseInt(intArgs(s)); ierr == nil || errors.Is(ierr, strconv.ErrRange) || errors.Is(err, strconv.ErrRange) {
		d.errorf(at, path, "expected an integer from 0 to %d, got %s", uint64(math.MaxUint64)>>(64-v.Type().Bits()), quoteValue(s))
	} else {
		d.errorf(at, path, "expected a non-negative integer, got %s", quoteValue(s))
	}
}

// intArgs returns the arguments for strconv.ParseInt or ParseUint: base 10,
// or the base a 0x, 0o or 0b prefix gives; a leading 0 alone is decimal.
func intArgs(s string) (string, int, int) {
	digits := strings.TrimLeft(s, "+-")
	if len(digits) > 2 && digits[0] == '0' && strings.ContainsRune("xXoObB", rune(digits[1])) {
		return s, 0, 64
	}
	return s, 10, 64
}

func (d *decodeState) durationValue(n, at *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, at, path, `a duration such as "30s"`)
	if !ok {
		return
	}
	if s == "0" {
		v.SetInt(0)
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(at, path, "invalid duration %s: want a number with a unit, such as \"30s\", \"250ms\" or \"1m30s\"", quoteValue(s))
		return
	}
	v.SetInt(int64(dur))
}
