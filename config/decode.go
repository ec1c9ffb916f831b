package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Caps on what one file may cost to decode.
const (
	// maxFileBytes bounds the size of a config file.
	maxFileBytes = 16 << 20
	// maxNodes bounds how many nodes one Decode visits, counting a node
	// again each time an alias reaches it, so that an alias bomb ("billion
	// laughs") ends in an error instead of exhausting memory.
	maxNodes = 1_000_000
	// maxValueBytes bounds the scalar text one Decode decodes, counting a
	// scalar again each time an alias reaches it: a few aliases of one long
	// string cost as much memory as a million nodes.
	maxValueBytes = 16 << 20
	// maxPositions bounds the size of the Positions one Decode returns,
	// which alias expansion could otherwise blow up; Positions.At answers
	// for paths left out with the position of an ancestor.
	maxPositions = 250_000
)

// Option changes how Decode and Load work.
type Option func(*options)

type options struct {
	lookup func(string) (string, bool)
	dir    string
}

// WithLookup makes ${VAR} expand to what lookup returns for VAR, instead of
// the process environment (os.LookupEnv, also what a nil lookup means).
func WithLookup(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.lookup = lookup }
}

// WithDir makes the relative paths of `config:"path"` fields absolute
// against dir, which should itself be absolute. Without it Decode leaves
// them as written; Load uses the folder of the file.
func WithDir(dir string) Option {
	return func(o *options) { o.dir = dir }
}

// Decode parses data, a YAML (or JSON) config file named file, and decodes
// it strictly into out, which must be a non-nil pointer to a struct.
//
// It follows the `yaml:"name"` tags of out's type: a field without one (or
// with "-") is not decodable, ",inline" on a struct field flattens it, other
// yaml options are ignored. A `config:"..."` tag adds options, separated by
// commas: "path" on a string field (or a list or map of them) makes a
// relative path absolute (see WithDir), and "scalarlist" on a list field
// lets a single value stand for a one-item list. A type whose pointer is a
// Union decodes as one.
//
// An unknown key, a value of the wrong type, a duplicate key, or an unset
// ${VAR} is an error; decoding goes on past each to find the next. Every
// scalar value (never a key) is expanded (see WithLookup) before it is
// converted: ${VAR} and ${VAR:-default}, the default taken when VAR is unset
// or empty, "$$" for a literal "$"; a "$" before anything else stays as it
// is. A null value leaves a struct, map, slice or pointer as it was, sets an
// interface to nil, and is an error for anything else. Durations are strings
// such as "250ms" (or 0). Booleans are true or false; integers are decimal
// or 0x, 0o, 0b prefixed.
//
// It returns the position of every decoded value (never nil) and, when there
// are problems, their errors.Join, each an *Error, sorted by position. An
// empty file decodes nothing and is no error.
func Decode(file string, data []byte, out any, opts ...Option) (Positions, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	d := &decodeState{file: file, lookup: o.lookup, dir: o.dir, pos: Positions{}, active: map[*yaml.Node]bool{}}
	d.document(data, out)
	sortErrors(d.errs)
	return d.pos, errors.Join(d.errs...)
}

// Load reads the config file named file, at most 16 MiB, and decodes it
// (see Decode) with ${VAR} taken from the environment and paths made
// absolute against the file's folder; opts may change either. An error that
// holds no *Error means the file could not be read.
func Load(file string, out any, opts ...Option) (Positions, error) {
	data, err := readFile(file)
	if err != nil {
		return Positions{}, err
	}
	// Paths resolve against an absolute folder: a process started from the
	// config runs in its own working folder, where a relative path would
	// mean another file.
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return Positions{}, fmt.Errorf("%s: %w", file, err)
	}
	return Decode(file, data, out, append([]Option{WithDir(dir)}, opts...)...)
}

// readFile reads file, or as much past maxFileBytes as Decode needs to
// refuse it.
func readFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFileBytes+1))
}

// decodeState holds the state of one Decode call.
type decodeState struct {
	file    string
	lookup  func(string) (string, bool)
	dir     string
	pos     Positions
	errs    []error
	nodes   int                 // nodes visited, see maxNodes
	bytes   int                 // scalar text decoded, see maxValueBytes
	stopped bool                // set once nodes or bytes passed its cap
	active  map[*yaml.Node]bool // anchored nodes being decoded, to catch alias cycles
}

// document decodes the file data into out.
func (d *decodeState) document(data []byte, out any) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		d.errs = append(d.errs, &Error{File: d.file, Msg: fmt.Sprintf("BUG: config.Decode needs a non-nil pointer to a struct, got %T", out)})
		return
	}
	if len(data) > maxFileBytes {
		d.errs = append(d.errs, &Error{File: d.file, Msg: fmt.Sprintf("file is too large: more than %d MiB", maxFileBytes>>20)})
		return
	}
	root, err := parseYAML(d.file, data)
	switch {
	case err != nil:
		d.errs = append(d.errs, err)
	case root == nil || isNull(root):
	case root.Kind != yaml.MappingNode:
		d.errorf(root, "", "the top level must be a mapping, got %s", describeNode(root))
	default:
		d.decode(root, "", v.Elem(), fieldOpts{})
	}
}

func (d *decodeState) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// visit counts one more node and reports whether decoding may go on.
func (d *decodeState) visit(n *yaml.Node, path string) bool {
	if d.stopped {
		return false
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.stopped = true
		d.errorf(n, path, "document is too large: more than %d values once aliases are expanded", maxNodes)
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
		if d.bytes > maxValueBytes {
			d.leave(t)
			d.stopped = true
			d.errorf(n, path, "document is too large: more than %d MiB of values once aliases are expanded", maxValueBytes>>20)
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

func (d *decodeState) leave(t *yaml.Node) { delete(d.active, t) }

// record records that the value (or, with a "#key" path, the key) at path
// starts at n.
func (d *decodeState) record(path string, n *yaml.Node) {
	if path != "" && len(d.pos) < maxPositions {
		d.pos[path] = Pos{n.Line, n.Column}
	}
}

// decode decodes n, the value at path, into v, which is settable.
func (d *decodeState) decode(n *yaml.Node, path string, v reflect.Value, opts fieldOpts) {
	t := d.enter(n, path)
	if t == nil {
		return
	}
	defer d.leave(t)
	d.value(t, n, path, v, opts)
}
