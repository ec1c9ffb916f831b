package mapping

import (
	"bytes"
	"strings"
)

// MediaTypes is a list of media-type patterns: "type/subtype", "type/*",
// "*/*", or a structured-syntax suffix such as "application/*+json". Matching
// ignores parameters and case. The zero value matches nothing.
type MediaTypes struct {
	patterns []mediaPattern
}

type mediaPattern struct {
	typ, sub string // "*" is a wildcard
	suffix   string // "+json" for "application/*+json"
}

// NewMediaTypes parses patterns. It reports the first malformed one.
func NewMediaTypes(patterns []string) (MediaTypes, error) {
	var m MediaTypes
	for _, p := range patterns {
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(p)), "/")
		if !ok || typ == "" || sub == "" || strings.ContainsAny(typ+sub, " ;,") || (typ == "*" && sub != "*") {
			return MediaTypes{}, &MediaTypeError{Pattern: p}
		}
		mp := mediaPattern{typ: typ, sub: sub}
		if strings.HasPrefix(sub, "*+") {
			mp.sub, mp.suffix = "*", sub[1:]
		}
		m.patterns = append(m.patterns, mp)
	}
	return m, nil
}

// MediaTypeError reports a malformed media-type pattern.
type MediaTypeError struct{ Pattern string }

func (e *MediaTypeError) Error() string {
	return `mapping: malformed media type "` + e.Pattern + `" (want type/subtype, type/* or */*)`
}

// Match reports whether the media type of a Content-Type or Accept entry
// (parameters allowed) matches one of the patterns.
func (m *MediaTypes) Match(contentType []byte) bool {
	if len(m.patterns) == 0 {
		return false
	}
	mt, _, _ := bytes.Cut(contentType, []byte{';'})
	mt = bytes.TrimSpace(mt)
	typ, sub, ok := bytes.Cut(mt, []byte{'/'})
	if !ok {
		typ, sub = mt, nil
	}
	for i := range m.patterns {
		p := &m.patterns[i]
		if p.typ != "*" && !equalFoldString(typ, p.typ) {
			continue
		}
		switch {
		case p.suffix != "":
			if len(sub) > len(p.suffix) && equalFoldString(sub[len(sub)-len(p.suffix):], p.suffix) {
				return true
			}
		case p.sub == "*", equalFoldString(sub, p.sub):
			return true
		}
	}
	return false
}

// FirstAccept returns the first media range of an Accept header value.
func FirstAccept(accept []byte) []byte {
	first, _, _ := bytes.Cut(accept, []byte{','})
	return bytes.TrimSpace(first)
}

func equalFoldString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// DefaultTextMediaTypes are the request content types an HTTP API passes to
// the function as text; everything else travels base64-encoded. Verified
// against real AWS by a third party (see spec/proxy-events.md §4.2).
var DefaultTextMediaTypes = []string{"text/*", "application/json", "application/xml", "application/javascript"}
