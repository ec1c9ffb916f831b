package gateway

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in a config file. Line and Col are 1-based; Col counts
// characters, not bytes. The zero Pos means "unknown".
type Pos struct{ Line, Col int }

// ConfigError is one problem in a config file. Its Error is
// "FILE:LINE:COL: PATH: MSG", leaving out PATH when it is empty, COL when it
// is 0, and LINE:COL when Line is 0.
type ConfigError struct {
	File string
	Pos  Pos
	Path string // field path, as in Positions; empty for the whole file
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Pos.Line))
		if e.Pos.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Pos.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Positions maps a field path to where its value starts in the config file,
// and path+"#key" to where its mapping key starts. Paths join struct fields
// and map keys with "." ("functions.hello.timeout") and index lists with
// "[i]" ("routes[2].route"); a map key holding anything but letters, digits,
// "_", "-" and "$" is written quoted in brackets (`env["a.b"]`). The root has
// the empty path and is not recorded.
type Positions map[string]Pos

// At returns the position of path or, when path was not recorded (say, a
// field the file leaves out), that of its nearest recorded ancestor: it drops
// a "#key" suffix, then the last ".x", "[i]" or `["k"]` element, until it
// finds one. It returns the zero Pos when none is recorded.
func (p Positions) At(path string) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		if base, ok := strings.CutSuffix(path, "#key"); ok {
			path = base
			continue
		}
		if path == "" {
			return Pos{}
		}
		path = parentPath(path)
	}
}

// parentPath returns path without its last element; the parent of a single
// element is the root, "".
func parentPath(path string) string {
	last := 0
	for i := 0; i < len(path); {
		switch path[i] {
		case '.':
			last = i
			i++
		case '[':
			last = i
			i++
			if i < len(path) && path[i] == '"' {
				q, err := strconv.QuotedPrefix(path[i:])
				if err != nil {
					return path[:max(strings.LastIndexAny(path, ".["), 0)]
				}
				i += len(q)
			}
			j := strings.IndexByte(path[i:], ']')
			if j < 0 {
				return path[:max(strings.LastIndexAny(path, ".["), 0)]
			}
			i += j + 1
		default:
			i++
		}
	}
	return path[:last]
}

// childPath returns the path of key under parent.
func childPath(parent, key string) string {
	if !isPlainKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath returns the path of item i of the list at parent.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

func isPlainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '$':
		default:
			return false
		}
	}
	return key != ""
}

// configDecoder is implemented (with a pointer receiver) by config types
// that decode themselves, such as a field that takes "a string or a list".
// The node has its aliases resolved, its merge keys (<<) applied and its
// scalar values env-expanded; a returned error is reported at the node.
// Returning a *ConfigError with its own Pos or Path overrides those.
type configDecoder interface {
	DecodeConfig(n *yaml.Node) error
}

// maxDecodeNodes bounds how many nodes one decodeConfig call visits, counting
// a node again each time an alias reaches it, so that an alias bomb ("billion
// laughs") ends in an error instead of exhausting memory.
const maxDecodeNodes = 1_000_000

// maxDecodeBytes bounds the scalar text one decodeConfig call decodes,
// counting a scalar again each time an alias reaches it: a few aliases of
// one long string cost as much memory as a million nodes.
const maxDecodeBytes = 16 << 20

// maxPositions bounds the size of the Positions a decodeConfig call returns,
// which alias expansion could otherwise blow up; Positions.At answers for
// paths left out with the position of an ancestor.
const maxPositions = 250_000

// decodeConfig parses data, a YAML (or JSON) config file named file, and
// decodes it strictly into out, which must be a non-nil pointer to a struct.
//
// It follows the `yaml:"name"` tags of out's type: a field without one (or
// with "-") is not decodable, ",inline" on a struct field flattens it, other
// options are ignored. An unknown key, a value of the wrong type, a duplicate
// key, or an unset ${VAR} is an error; decoding goes on past each to find the
// next. Every scalar value (never a key) is env-expanded with lookup (see
// expandEnv; nil means os.LookupEnv) before it is converted. A null value leaves a struct, map,
// slice, pointer or interface as it was, and is an error for anything else.
// Durations are strings such as "250ms" (or 0).
//
// It returns the position of every decoded value (never nil), and every
// problem as a *ConfigError, sorted by position. An empty file decodes
// nothing and is no error.
func decodeConfig(file string, data []byte, out any, lookup func(string) (string, bool)) (Positions, []error) {
	pos := Positions{}
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return pos, []error{&ConfigError{File: file, Msg: fmt.Sprintf("BUG: decodeConfig needs a non-nil pointer to a struct, got %T", out)}}
	}
	root, err := parseYAML(file, data)
	if err != nil {
		return pos, []error{err}
	}
	if root == nil || isYAMLNull(root) {
		return pos, nil
	}
	d := &decodeState{file: file, lookup: lookup, pos: pos, active: map[*yaml.Node]bool{}}
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "the top level must be a mapping, got %s", describeNode(root))
		return pos, d.errs
	}
	d.decode(root, "", v.Elem())
	sortByPosition(d.errs)
	return pos, d.errs
}

// sortByPosition sorts errs by the position of each *ConfigError, keeping
// the order of errors at the same place; other errors come first.
func sortByPosition(errs []error) {
	at := func(err error) Pos {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return ce.Pos
		}
		return Pos{}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		pa, pb := at(a), at(b)
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
}

// parseYAML parses the single YAML document in data and returns its root
// node, or nil when there is none.
func parseYAML(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 panics on a few inputs it should reject.
		if r := recover(); r != nil {
			err = &ConfigError{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	// yaml.v3 takes some files with a control character for empty ones.
	if !bytes.HasPrefix(data, []byte{0xff, 0xfe}) && !bytes.HasPrefix(data, []byte{0xfe, 0xff}) { // not UTF-16
		if pos, msg := badChar(data); msg != "" {
			return nil, &ConfigError{File: file, Pos: pos, Msg: msg}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, yamlSyntaxError(file, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, yamlSyntaxError(file, data, err)
	default:
		return nil, &ConfigError{File: file, Pos: nodePos(&next), Msg: "a config file holds one YAML document, this is a second one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlParserProblems are the yaml.v3 errors that come from its parser rather than
// its scanner: yaml.v3 reports their line 0-based, and leaves it out on the
// first line.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlReaderProblems are the yaml.v3 errors about the bytes of the file, which
// carry no line.
var yamlReaderProblems = []string{
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
	"control characters are not allowed",
}

// yamlSyntaxError turns an error from yaml.v3's parser into a ConfigError,
// working out its line, which yaml.v3 gives only in the message, and not
// always right.
func yamlSyntaxError(file string, data []byte, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, m, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, m
			}
		}
	}
	e := &ConfigError{File: file, Msg: msg}
	switch {
	case yamlParserProblems[msg]:
		e.Pos.Line = line + 1
	case slices.Contains(yamlReaderProblems, msg):
		e.Pos, _ = badChar(data)
	case strings.HasPrefix(msg, "unknown anchor '") && strings.HasSuffix(msg, "' referenced"):
		e.Pos = aliasPos(data, msg[len("unknown anchor '"):len(msg)-len("' referenced")])
	case strings.HasPrefix(msg, "attempted to go past"), strings.HasPrefix(msg, "input error"):
		e.Pos.Line = line
	default: // scanner errors: right when given, and left out on line 1
		e.Pos.Line = max(line, 1)
	}
	return e
}

// badChar finds the first byte sequence in data that is not UTF-8 or is a
// character YAML does not allow, and returns its position and what is wrong,
// or "" when there is none.
func badChar(data []byte) (Pos, string) {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return Pos{line, col}, fmt.Sprintf("invalid UTF-8 (byte %#x)", data[i])
		case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || r == 0x85 ||
			(r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || r >= 0x10000:
		default:
			return Pos{line, col}, fmt.Sprintf("control character %U is not allowed", r)
		}
		i += size
		col++
		if r == '\n' {
			line, col = line+1, 1
		}
	}
	return Pos{}, ""
}

// aliasPos returns where "*name" first appears in data, or the zero Pos.
func aliasPos(data []byte, name string) Pos {
	ref := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], ref)
		if i < 0 {
			return Pos{}
		}
		i += off
		off = i + len(ref)
		if off < len(data) && !bytes.ContainsAny(data[off:off+1], " \t\r\n,]}") {
			continue
		}
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		col := 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i])
		return Pos{line, col}
	}
}

// decodeState holds the state of one decodeConfig call.
type decodeState struct {
	file    string
	lookup  func(string) (string, bool)
	pos     Positions
	errs    []error
	count   int                 // nodes visited, see maxDecodeNodes
	bytes   int                 // scalar text decoded, see maxDecodeBytes
	stopped bool                // set once count or bytes passed its cap
	active  map[*yaml.Node]bool // anchored nodes being decoded, to catch alias cycles
}

func nodePos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func (d *decodeState) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{File: d.file, Pos: nodePos(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// visit counts one more node and reports whether decoding may go on.
func (d *decodeState) visit(n *yaml.Node, path string) bool {
	if d.stopped {
		return false
	}
	d.count++
	if d.count > maxDecodeNodes {
		d.stopped = true
		d.errorf(n, path, "document is too large: more than %d values once aliases are expanded", maxDecodeNodes)
		return false
	}
	return true
}

// enter counts n, records its position under path and follows it (see
// follow). It returns the node to decode, or nil when decoding must not go
// on; a non-nil result must be passed to leave when done.
func (d *decodeState) enter(n *yaml.Node, path string) *yaml.Node {
	if !d.visit(n, path) {
		return nil
	}
	d.record(path, n)
	t := d.follow(n, path)
	if t != nil && t.Kind == yaml.ScalarNode {
		d.bytes += len(t.Value)
		if d.bytes > maxDecodeBytes {
			d.leave(t)
			d.stopped = true
			d.errorf(n, path, "document is too large: more than %d MiB of values once aliases are expanded", maxDecodeBytes>>20)
			return nil
		}
	}
	return t
}

// follow returns the node the alias n stands for (n itself when it is no
// alias) and marks it as being decoded, or reports an alias that refers to a
// value that contains it and returns nil.
func (d *decodeState) follow(n *yaml.Node, path string) *yaml.Node {
	t := n
	if n.Kind == yaml.AliasNode {
		t = n.Alias
		if t == nil { // yaml.v3 rejects unknown anchors; a hand-built node may lack one
			d.errorf(n, path, "unknown anchor %q", n.Value)
			return nil
		}
	}
	if d.active[t] {
		d.errorf(n, path, "alias *%s refers to a value that contains it", n.Value)
		return nil
	}
	if t.Anchor != "" {
		d.active[t] = true
	}
	return t
}

// record records that the value (or, with a "#key" path, the key) at path
// starts at n.
func (d *decodeState) record(path string, n *yaml.Node) {
	if path != "" && len(d.pos) < maxPositions {
		d.pos[path] = nodePos(n)
	}
}

func (d *decodeState) leave(t *yaml.Node) { delete(d.active, t) }

var (
	durationType      = reflect.TypeFor[time.Duration]()
	configDecoderType = reflect.TypeFor[configDecoder]()
	textType          = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode decodes n, the value at path, into v, which is settable.
func (d *decodeState) decode(n *yaml.Node, path string, v reflect.Value) {
	t := d.enter(n, path)
	if t == nil {
		return
	}
	defer d.leave(t)
	d.value(t, n, path, v)
}

// value decodes n into v; at is where errors about the value as a whole go
// (the alias, when n was reached through one).
func (d *decodeState) value(n, at *yaml.Node, path string, v reflect.Value) {
	typ := v.Type()
	if v.CanAddr() && reflect.PointerTo(typ).Implements(configDecoderType) {
		d.hook(n, at, path, v.Addr().Interface().(configDecoder))
		return
	}
	if isYAMLNull(n) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Struct, reflect.Map, reflect.Slice:
			return
		case reflect.Interface:
			v.SetZero()
			return
		}
	}
	switch {
	case typ == durationType:
		d.duration(n, at, path, v)
		return
	case v.CanAddr() && reflect.PointerTo(typ).Implements(textType):
		if s, ok := d.scalar(n, at, path, "a string"); ok {
			if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				d.errorf(at, path, "%v", err)
			}
		}
		return
	}
	switch typ.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(typ.Elem()))
		}
		d.value(n, at, path, v.Elem())
	case reflect.Struct:
		d.structValue(n, at, path, v)
	case reflect.Map:
		d.mapValue(n, at, path, v)
	case reflect.Slice:
		d.sliceValue(n, at, path, v)
	case reflect.Interface:
		if typ.NumMethod() != 0 {
			d.errorf(at, path, "BUG: cannot decode into %s", typ)
			return
		}
		if x, ok := d.anyValue(n, at, path); ok {
			if x == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(x))
			}
		}
	case reflect.String:
		if s, ok := d.scalar(n, at, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, at, path, "a boolean")
		if !ok {
			return
		}
		switch s {
		case "true", "True", "TRUE":
			v.SetBool(true)
		case "false", "False", "FALSE":
			v.SetBool(false)
		default:
			d.errorf(at, path, "expected a boolean (true or false), got %s", quoteValue(s))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalar(n, at, path, "an integer")
		if !ok {
			return
		}
		bits := typ.Bits()
		i, err := strconv.ParseInt(intArgs(s))
		if err == nil && bits < 64 && (i < -1<<(bits-1) || i >= 1<<(bits-1)) {
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
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s, ok := d.scalar(n, at, path, "a non-negative integer")
		if !ok {
			return
		}
		bits := typ.Bits()
		u, err := strconv.ParseUint(intArgs(s))
		if err == nil && bits < 64 && u >= 1<<bits {
			err = strconv.ErrRange
		}
		if err != nil {
			if _, ierr := strconv.ParseInt(intArgs(s)); ierr == nil || errors.Is(ierr, strconv.ErrRange) || errors.Is(err, strconv.ErrRange) {
				d.errorf(at, path, "expected an integer from 0 to %d, got %s", uint64(math.MaxUint64)>>(64-bits), quoteValue(s))
			} else {
				d.errorf(at, path, "expected a non-negative integer, got %s", quoteValue(s))
			}
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		s, ok := d.scalar(n, at, path, "a number")
		if !ok {
			return
		}
		f, err := parseYAMLFloat(s, typ.Bits())
		if err != nil {
			d.errorf(at, path, "expected a number, got %s", quoteValue(s))
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(at, path, "BUG: cannot decode into %s", typ)
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

// parseYAMLFloat parses s as a YAML or Go floating-point number.
func parseYAMLFloat(s string, bits int) (float64, error) {
	switch s {
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1), nil
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1), nil
	case ".nan", ".NaN", ".NAN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, bits)
}

// scalar returns the env-expanded text of the scalar n, or reports that n is
// not the kind of value want names.
func (d *decodeState) scalar(n, at *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isYAMLNull(n) {
		d.errorf(at, path, "expected %s, got %s", want, describeNode(n))
		return "", false
	}
	return d.expand(n, at, path)
}

// expand returns the env-expanded value of the scalar n.
func (d *decodeState) expand(n, at *yaml.Node, path string) (string, bool) {
	s, err := expandEnv(n.Value, d.lookup)
	if err == nil {
		return s, true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			d.errorf(at, path, "%v", e)
		}
	} else {
		d.errorf(at, path, "%v", err)
	}
	return "", false
}

func (d *decodeState) duration(n, at *yaml.Node, path string, v reflect.Value) {
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

func (d *decodeState) structValue(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errorf(at, path, "expected a mapping, got %s", describeNode(n))
		return
	}
	info := yamlFieldsOf(v.Type())
	for _, p := range d.pairs(n, path) {
		name, ok := d.key(p.key, path)
		if !ok {
			continue
		}
		f, ok := info.byName[name]
		if !ok {
			d.errorf(p.key, path, "unknown field %q%s", name, suggestField(name, info.names))
			continue
		}
		child := childPath(path, name)
		d.record(child+"#key", p.key)
		d.decode(p.value, child, v.FieldByIndex(f))
	}
}

func (d *decodeState) mapValue(n, at *yaml.Node, path string, v reflect.Value) {
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
		d.decode(p.value, child, elem)
		v.SetMapIndex(k, elem)
	}
}

func (d *decodeState) sliceValue(n, at *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(at, path, "expected a list, got %s", describeNode(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, indexPath(path, i), s.Index(i))
	}
	v.Set(s)
}

// anyValue decodes n into plain Go values: map[string]any, []any, string,
// int, float64, bool or nil (and uint64 past math.MaxInt64); a timestamp
// stays a string. A plain scalar that env expansion changed gets
// its type from its new text, so `${PORT:-80}` is an int.
func (d *decodeState) anyValue(n, at *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
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
			t := d.enter(p.value, child)
			if t == nil {
				ok = false
				continue
			}
			x, xok := d.anyValue(t, p.value, child)
			d.leave(t)
			m[name] = x
			ok = ok && xok
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		ok := true
		for i, item := range n.Content {
			child := indexPath(path, i)
			t := d.enter(item, child)
			if t == nil {
				ok = false
				continue
			}
			x, xok := d.anyValue(t, item, child)
			d.leave(t)
			s[i] = x
			ok = ok && xok
		}
		return s, ok
	case yaml.ScalarNode:
		value, tag, ok := d.expandScalar(n, at, path)
		if !ok {
			return nil, false
		}
		x, err := scalarValue(tag, value)
		if err != nil {
			d.errorf(at, path, "%v", err)
			return nil, false
		}
		return x, true
	default:
		d.errorf(at, path, "BUG: unexpected YAML node kind %d", n.Kind)
		return nil, false
	}
}

// scalarValue returns the Go value of a scalar with the given tag and value,
// as yaml.v3 would decode it into an interface, but for timestamps, which
// stay strings.
func scalarValue(tag, value string) (any, error) {
	switch tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch value {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
	case "!!int":
		plain := strings.ReplaceAll(value, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return int(i), nil
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return u, nil
		}
	case "!!float":
		if f, err := parseYAMLFloat(strings.ReplaceAll(value, "_", ""), 64); err == nil {
			return f, nil
		}
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
		if err == nil {
			return string(b), nil
		}
		return nil, errors.New("!!binary value is not valid base64")
	default:
		return value, nil
	}
	return nil, fmt.Errorf("cannot decode %s as %s", quoteValue(value), tag)
}

// expandScalar returns the env-expanded value of the scalar n and its tag:
// n's own or, when expansion changed a plain untagged scalar, the tag its new
// text resolves to, so that `${PORT:-80}` is an !!int.
func (d *decodeState) expandScalar(n, at *yaml.Node, path string) (value, tag string, ok bool) {
	s, ok := d.expand(n, at, path)
	if !ok {
		return "", "", false
	}
	if s == n.Value || n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return s, n.ShortTag(), true
	}
	resolved := yaml.Node{Kind: yaml.ScalarNode, Value: s}
	return s, resolved.ShortTag(), true
}

// hook decodes n with a type's own DecodeConfig method.
func (d *decodeState) hook(n, at *yaml.Node, path string, h configDecoder) {
	before := len(d.errs)
	c := d.expandedCopy(n, at, path)
	if c == nil || len(d.errs) > before { // the copy is missing values
		return
	}
	err := h.DecodeConfig(c)
	if err == nil {
		return
	}
	e := &ConfigError{File: d.file, Pos: nodePos(at), Path: path, Msg: err.Error()}
	var ce *ConfigError
	if errors.As(err, &ce) {
		e.Msg = ce.Msg
		if ce.Pos != (Pos{}) {
			e.Pos = ce.Pos
		}
		if ce.Path != "" {
			e.Path = ce.Path
		}
	}
	d.errs = append(d.errs, e)
}

// expandedCopy returns a copy of n for a DecodeConfig method: aliases
// resolved, merge keys applied, scalar values env-expanded. It reports every
// problem on the way, leaving out the values that have one, and returns nil
// when n itself has one.
func (d *decodeState) expandedCopy(n, at *yaml.Node, path string) *yaml.Node {
	c := *n
	c.Anchor, c.Alias, c.Content = "", nil, nil
	switch n.Kind {
	case yaml.ScalarNode:
		value, tag, ok := d.expandScalar(n, at, path)
		if !ok {
			return nil
		}
		c.Value, c.Tag = value, tag
		return &c
	case yaml.MappingNode:
		for _, p := range d.pairs(n, path) {
			k, v := resolveKey(p.key), p.value
			kc := *k
			kc.Anchor, kc.Content = "", nil // a key that is not a scalar is the hook's to reject
			child := path
			if k.Kind == yaml.ScalarNode {
				child = childPath(path, k.Value)
				d.record(child+"#key", p.key)
			}
			if vc := d.copyChild(v, child); vc != nil {
				c.Content = append(c.Content, &kc, vc)
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if ic := d.copyChild(item, indexPath(path, i)); ic != nil {
				c.Content = append(c.Content, ic)
			}
		}
	}
	return &c
}

func (d *decodeState) copyChild(n *yaml.Node, path string) *yaml.Node {
	t := d.enter(n, path)
	if t == nil {
		return nil
	}
	defer d.leave(t)
	return d.expandedCopy(t, n, path)
}

// key returns the text of the mapping key k, reporting a key that is not a
// scalar. Keys are not env-expanded.
func (d *decodeState) key(k *yaml.Node, path string) (string, bool) {
	k = resolveKey(k)
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "a mapping key must be a string, got %s", describeNode(k))
		return "", false
	}
	return k.Value, true
}

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

// resolveKey returns the node the mapping key k stands for.
func resolveKey(k *yaml.Node) *yaml.Node {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		return k.Alias
	}
	return k
}

// isYAMLNull reports whether n is a YAML null: ~, null or nothing at all.
func isYAMLNull(n *yaml.Node) bool {
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

// yamlFields lists the decodable fields of a struct type.
type yamlFields struct {
	byName map[string][]int // yaml name → field index
	names  []string         // yaml names in field order
}

var yamlFieldsCache sync.Map // reflect.Type → *yamlFields

func yamlFieldsOf(t reflect.Type) *yamlFields {
	if info, ok := yamlFieldsCache.Load(t); ok {
		return info.(*yamlFields)
	}
	info := &yamlFields{byName: map[string][]int{}}
	addYAMLFields(info, t, nil)
	actual, _ := yamlFieldsCache.LoadOrStore(t, info)
	return actual.(*yamlFields)
}

func addYAMLFields(info *yamlFields, t reflect.Type, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(slices.Clip(index), i)
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			addYAMLFields(info, f.Type, idx)
			continue
		}
		if name == "" || !f.IsExported() {
			continue
		}
		if _, dup := info.byName[name]; dup {
			continue
		}
		info.byName[name] = idx
		info.names = append(info.names, name)
	}
}

// suggestField returns ` (did you mean "x"?)` for the known name closest to an
// unknown one: equal but for case, or at most two edits away (and fewer
// edits than the unknown name has characters). It returns "" otherwise.
func suggestField(unknown string, known []string) string {
	best, bestDist := "", 3
	lower := strings.ToLower(unknown)
	for _, k := range known {
		if strings.EqualFold(k, unknown) {
			best = k
			break
		}
		if dist := editDistance(lower, strings.ToLower(k)); dist < bestDist && dist < len(unknown) {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance returns the optimal string alignment distance between a and
// b: insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	// rows i-2, i-1 and i of the table
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
