package mapping

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONNesting is the deepest nesting of objects and arrays jsonScanner
// accepts inside one value; deeper input is a syntax error, not a stack
// overflow.
const maxJSONNesting = 10000

// jsonKind is the type of a JSON value.
type jsonKind uint8

const (
	jsonAbsent jsonKind = iota // zero value: the member was not present
	jsonNull
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is one validated JSON value inside the scanned buffer. For a
// string, raw is the text between the quotes, still escaped when esc is
// true; for any other kind raw is the value's full JSON text. raw aliases the
// scanned buffer.
type jsonValue struct {
	raw  []byte
	kind jsonKind
	esc  bool
}

// jsonSyntaxError reports invalid JSON and the byte offset where it was found.
type jsonSyntaxError struct {
	msg    string
	offset int
}

func (e *jsonSyntaxError) Error() string {
	return e.msg + " at offset " + strconv.Itoa(e.offset)
}

// jsonScanner reads JSON from a byte slice without allocating: it validates
// as it goes, hands out sub-slices of the input, and leaves unescaping to
// appendJSONUnescaped. The zero value scans nothing; set data (or call reset)
// first. It is not safe for concurrent use.
type jsonScanner struct {
	data []byte
	pos  int
	// stack holds one bit per open container in skipContainer, set for an
	// object and clear for an array. It grows on first use and is kept for
	// reuse when the scanner is pooled.
	stack []uint64
}

func (s *jsonScanner) reset(data []byte) {
	s.data = data
	s.pos = 0
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return &jsonSyntaxError{msg: fmt.Sprintf(format, args...), offset: s.pos}
}

func (s *jsonScanner) errUnexpected() error {
	if s.pos >= len(s.data) {
		return &jsonSyntaxError{msg: "unexpected end of JSON input", offset: s.pos}
	}
	return s.errorf("invalid character %q", s.data[s.pos])
}

// skipSpace moves past JSON whitespace.
func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// atEnd reports whether only whitespace is left.
func (s *jsonScanner) atEnd() bool {
	s.skipSpace()
	return s.pos >= len(s.data)
}

// peek returns the next non-whitespace byte, or 0 at the end of the input.
func (s *jsonScanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// hasStringSpecial reports whether any of the 8 bytes in w is a quote, a
// backslash or a control character (< 0x20). The tests are exact: a byte
// that is none of these never sets its high bit, so there are no false
// positives.
func hasStringSpecial(w uint64) bool {
	q := w ^ (swarOnes * '"')
	b := w ^ (swarOnes * '\\')
	t := ((w - swarOnes*0x20) &^ w) | ((q - swarOnes) &^ q) | ((b - swarOnes) &^ b)
	return t&swarHigh != 0
}

// readString reads the string starting at s.pos (which must hold '"') and
// returns the text between the quotes, whether it contains escapes, and an
// error for an unterminated string, an invalid escape or a raw control
// character. Bytes of 0x80 and above pass through unchecked.
func (s *jsonScanner) readString() (raw []byte, esc bool, err error) {
	d := s.data
	start := s.pos + 1
	i := start
	for {
		for i+8 <= len(d) && !hasStringSpecial(binary.LittleEndian.Uint64(d[i:])) {
			i += 8
		}
		if i >= len(d) {
			s.pos = i
			return nil, false, s.errorf("unterminated string")
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return d[start:i], esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				s.pos = i + 1
				return nil, false, s.errorf("unterminated string")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || jsonHex4(d[i+2:i+6]) < 0 {
					s.pos = i
					return nil, false, s.errorf("invalid \\u escape in string")
				}
				i += 6
			default:
				s.pos = i
				return nil, false, s.errorf("invalid escape %q in string", d[i+1])
			}
		case c < 0x20:
			s.pos = i
			return nil, false, s.errorf("invalid control character %q in string", c)
		default:
			i++
		}
	}
}

// jsonHex4 decodes 4 hex digits, or returns -1.
func jsonHex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendJSONUnescaped appends the unescaped form of raw, the text of a string
// validated by readString, to dst. Like encoding/json, an unpaired UTF-16
// surrogate becomes U+FFFD; other bytes are copied unchanged.
func appendJSONUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		i := 0
		for i < len(raw) && raw[i] != '\\' {
			i++
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		if len(raw) < 2 {
			return append(dst, raw...)
		}
		c := raw[1]
		raw = raw[2:]
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := jsonHex4(raw)
			if r < 0 {
				// Not produced by readString; keep the text.
				dst = append(dst, '\\', 'u')
				continue
			}
			raw = raw[4:]
			if utf16.IsSurrogate(r) {
				if len(raw) >= 6 && raw[0] == '\\' && raw[1] == 'u' {
					if dec := utf16.DecodeRune(r, jsonHex4(raw[2:6])); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						raw = raw[6:]
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
	}
	return dst
}

// readNumber reads a number at s.pos per the JSON grammar.
func (s *jsonScanner) readNumber() ([]byte, error) {
	d := s.data
	start := s.pos
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && jsonIsDigit(d[i]) {
			i++
		}
	default:
		s.pos = i
		return nil, s.errUnexpected()
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !jsonIsDigit(d[i]) {
			s.pos = i
			return nil, s.errUnexpected()
		}
		for i < len(d) && jsonIsDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !jsonIsDigit(d[i]) {
			s.pos = i
			return nil, s.errUnexpected()
		}
		for i < len(d) && jsonIsDigit(d[i]) {
			i++
		}
	}
	s.pos = i
	return d[start:i], nil
}

func jsonIsDigit(c byte) bool { return '0' <= c && c <= '9' }

// readLiteral reads true, false or null at s.pos.
func (s *jsonScanner) readLiteral(lit string) ([]byte, error) {
	d := s.data
	end := s.pos + len(lit)
	if end > len(d) || string(d[s.pos:end]) != lit {
		// Point at the first byte that differs.
		for i := 0; s.pos < len(d) && i < len(lit) && d[s.pos] == lit[i]; i++ {
			s.pos++
		}
		return nil, s.errUnexpected()
	}
	start := s.pos
	s.pos = end
	return d[start:end], nil
}

// readScalar reads a string, number, true, false or null at s.pos.
func (s *jsonScanner) readScalar() (jsonValue, error) {
	if s.pos >= len(s.data) {
		return jsonValue{}, s.errUnexpected()
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		raw, esc, err := s.readString()
		return jsonValue{raw: raw, kind: jsonString, esc: esc}, err
	case c == 't':
		raw, err := s.readLiteral("true")
		return jsonValue{raw: raw, kind: jsonBool}, err
	case c == 'f':
		raw, err := s.readLiteral("false")
		return jsonValue{raw: raw, kind: jsonBool}, err
	case c == 'n':
		raw, err := s.readLiteral("null")
		return jsonValue{raw: raw, kind: jsonNull}, err
	case c == '-' || jsonIsDigit(c):
		raw, err := s.readNumber()
		return jsonValue{raw: raw, kind: jsonNumber}, err
	default:
		return jsonValue{}, s.errUnexpected()
	}
}

// readValue reads and validates the value after any whitespace at s.pos.
// Objects and arrays are validated but not decoded: their raw text is
// returned for a later pass with beginObject/nextMember or
// beginArray/nextElement.
func (s *jsonScanner) readValue() (jsonValue, error) {
	s.skipSpace()
	if s.pos < len(s.data) {
		if c := s.data[s.pos]; c == '{' || c == '[' {
			start := s.pos
			err := s.skipContainer()
			kind := jsonObject
			if c == '[' {
				kind = jsonArray
			}
			return jsonValue{raw: s.data[start:s.pos], kind: kind}, err
		}
	}
	return s.readScalar()
}

// skipValue validates and moves past the next value.
func (s *jsonScanner) skipValue() error {
	_, err := s.readValue()
	return err
}

// setContainer records at depth whether the open container is an object.
func (s *jsonScanner) setContainer(depth int, object bool) {
	w := depth >> 6
	for len(s.stack) <= w {
		s.stack = append(s.stack, 0)
	}
	bit := uint64(1) << (depth & 63)
	if object {
		s.stack[w] |= bit
	} else {
		s.stack[w] &^= bit
	}
}

func (s *jsonScanner) isObjectAt(depth int) bool {
	return s.stack[depth>>6]&(uint64(1)<<(depth&63)) != 0
}

// readMemberKey reads `"key" :` after whitespace.
func (s *jsonScanner) readMemberKey() error {
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return s.errUnexpected()
	}
	if _, _, err := s.readString(); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		return s.errUnexpected()
	}
	s.pos++
	return nil
}

// skipContainer validates the object or array at s.pos without recursion,
// keeping one bit per level, and fails beyond maxJSONNesting levels.
func (s *jsonScanner) skipContainer() error {
	depth := 0
	for {
		// s.pos is at '{' or '['.
		open := s.data[s.pos]
		if depth >= maxJSONNesting {
			return s.errorf("nesting deeper than %d levels", maxJSONNesting)
		}
		s.setContainer(depth, open == '{')
		depth++
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.errUnexpected()
		}
		if c := s.data[s.pos]; (open == '{' && c == '}') || (open == '[' && c == ']') {
			s.pos++
			depth--
		} else {
			if open == '{' {
				if err := s.readMemberKey(); err != nil {
					return err
				}
				s.skipSpace()
			}
			if s.pos < len(s.data) && (s.data[s.pos] == '{' || s.data[s.pos] == '[') {
				continue
			}
			if _, err := s.readScalar(); err != nil {
				return err
			}
		}
		// A value at depth is complete: close containers or move to the next
		// member until another container opens.
		for {
			if depth == 0 {
				return nil
			}
			s.skipSpace()
			if s.pos >= len(s.data) {
				return s.errUnexpected()
			}
			c := s.data[s.pos]
			object := s.isObjectAt(depth - 1)
			if (object && c == '}') || (!object && c == ']') {
				s.pos++
				depth--
				continue
			}
			if c != ',' {
				return s.errUnexpected()
			}
			s.pos++
			if object {
				if err := s.readMemberKey(); err != nil {
					return err
				}
			}
			s.skipSpace()
			if s.pos < len(s.data) && (s.data[s.pos] == '{' || s.data[s.pos] == '[') {
				break
			}
			if _, err := s.readScalar(); err != nil {
				return err
			}
		}
	}
}

// beginObject consumes the '{' that opens an object.
func (s *jsonScanner) beginObject() error {
	if s.peek() != '{' {
		return s.errUnexpected()
	}
	s.pos++
	return nil
}

// nextMember moves to the next member of the object opened by beginObject:
// it returns the member's raw key (escaped when esc is true) and leaves
// s.pos before its value, which the caller must read with readValue or
// skipValue. more is false once the closing '}' is consumed. first is true
// on the first call for the object.
func (s *jsonScanner) nextMember(first bool) (key []byte, esc, more bool, err error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, false, false, s.errUnexpected()
	}
	c := s.data[s.pos]
	if c == '}' {
		s.pos++
		return nil, false, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, false, s.errUnexpected()
		}
		s.pos++
		s.skipSpace()
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false, false, s.errUnexpected()
	}
	key, esc, err = s.readString()
	if err != nil {
		return nil, false, false, err
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		return nil, false, false, s.errUnexpected()
	}
	s.pos++
	return key, esc, true, nil
}

// beginArray consumes the '[' that opens an array.
func (s *jsonScanner) beginArray() error {
	if s.peek() != '[' {
		return s.errUnexpected()
	}
	s.pos++
	return nil
}

// nextElement moves to the next element of the array opened by beginArray
// and leaves s.pos before it; more is false once the closing ']' is
// consumed. first is true on the first call for the array.
func (s *jsonScanner) nextElement(first bool) (more bool, err error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false, s.errUnexpected()
	}
	c := s.data[s.pos]
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errUnexpected()
		}
		s.pos++
	}
	return true, nil
}
