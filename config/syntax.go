package config

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// parseYAML parses the single YAML document in data and returns its root
// node, or nil when there is none.
func parseYAML(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 panics on a few inputs it should reject.
		if r := recover(); r != nil {
			err = &Error{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	// yaml.v3 takes some files with a control character for empty ones.
	if !bytes.HasPrefix(data, []byte{0xff, 0xfe}) && !bytes.HasPrefix(data, []byte{0xfe, 0xff}) { // not UTF-16
		if pos, msg := badChar(data); msg != "" {
			return nil, &Error{File: file, Line: pos.Line, Col: pos.Col, Msg: msg}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, syntaxError(file, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, syntaxError(file, data, err)
	default:
		return nil, &Error{File: file, Line: next.Line, Col: next.Column, Msg: "a config file holds one YAML document, this is a second one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yaml.v3 reports a syntax error only as text, "yaml: line N: MSG", and
// counts N differently for different problems: syntaxError is the one place
// that reads that text. TestSyntaxErrorText pins the texts it relies on, so
// that a yaml.v3 upgrade that changes them fails that test.

// yamlParserProblems are the yaml.v3 errors that come from its parser
// rather than its scanner: yaml.v3 reports their line 0-based, and leaves
// it out on the first line.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlReaderProblems are the yaml.v3 errors about the bytes of the file,
// which carry no line.
var yamlReaderProblems = []string{
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence",
	"invalid Unicode character",
	"control characters are not allowed",
}

// syntaxError turns an error from yaml.v3's parser into an *Error, working
// out its line, which yaml.v3 gives only in the message, and not always
// right.
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, m, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, m
			}
		}
	}
	e := &Error{File: file, Msg: msg}
	switch {
	case slices.Contains(yamlParserProblems, msg):
		e.Line = line + 1
	case slices.Contains(yamlReaderProblems, msg):
		pos, _ := badChar(data)
		e.Line, e.Col = pos.Line, pos.Col
	case strings.HasPrefix(msg, "unknown anchor '") && strings.HasSuffix(msg, "' referenced"):
		pos := aliasPos(data, msg[len("unknown anchor '"):len(msg)-len("' referenced")])
		e.Line, e.Col = pos.Line, pos.Col
	case strings.HasPrefix(msg, "attempted to go past"), strings.HasPrefix(msg, "input error"):
		e.Line = line
	default: // scanner errors: right when given, and left out on line 1
		e.Line = max(line, 1)
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
