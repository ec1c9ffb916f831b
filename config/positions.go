package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Pos is a place in a config file. Line and Col are 1-based; Col counts
// characters, not bytes. The zero Pos means "unknown".
type Pos struct{ Line, Col int }

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

// Errorf returns an *Error about the value at path in file, at its position
// (see At).
func (p Positions) Errorf(file, path, format string, args ...any) *Error {
	pos := p.At(path)
	return &Error{File: file, Line: pos.Line, Col: pos.Col, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Place positions the problems a part of the config reported (its
// Validate), each under prefix, the part's path: an error with a Field
// method names its field relative to the part; any other is placed at the
// part itself.
func (p Positions) Place(file, prefix string, errs []error) []error {
	out := make([]error, 0, len(errs))
	for _, err := range errs {
		if f, ok := err.(interface{ Field() (path, msg string) }); ok {
			path, msg := f.Field()
			out = append(out, p.Errorf(file, JoinPath(prefix, path), "%s", msg))
		} else {
			out = append(out, p.Errorf(file, prefix, "%v", err))
		}
	}
	return out
}

// JoinPath joins a parent path and a child path relative to it ("a" and
// "b" → "a.b"; "a" and "[0]" → "a[0]").
func JoinPath(parent, child string) string {
	switch {
	case child == "":
		return parent
	case parent == "", strings.HasPrefix(child, "["):
		return parent + child
	}
	return parent + "." + child
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
			end := bracketEnd(path, i)
			if end < 0 {
				return path[:max(strings.LastIndexAny(path, ".["), 0)]
			}
			i = end
		default:
			i++
		}
	}
	return path[:last]
}

// bracketEnd returns the index just past the "[i]" or `["k"]` element that
// starts at path[i], or -1 when it is not closed.
func bracketEnd(path string, i int) int {
	i++
	if i < len(path) && path[i] == '"' {
		q, err := strconv.QuotedPrefix(path[i:])
		if err != nil {
			return -1
		}
		i += len(q)
	}
	j := strings.IndexByte(path[i:], ']')
	if j < 0 {
		return -1
	}
	return i + j + 1
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
