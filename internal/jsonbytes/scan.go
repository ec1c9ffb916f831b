package jsonbytes

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxNesting is the deepest nesting of objects and arrays a Scanner
// accepts inside one value; deeper input is a syntax error, not a stack
// overflow.
const MaxNesting = 10000

// Kind is the type of a JSON value.
type Kind uint8

const (
	Absent Kind = iota // zero value: the member was not present
	Null
	Bool
	Number
	String
	Array
	Object
)

// Value is one validated JSON value inside the scanned buffer. For a
// string, Raw is the text between the quotes, still escaped when Escaped is
// true; for any other kind Raw is the value's full JSON text. Raw aliases the
// scanned buffer.
type Value struct {
	Raw     []byte
	Kind    Kind
	Escaped bool
}

// Text returns the unescaped text of the string v: v.Raw itself when it has
// no escapes, else *buf, which it overwrites.
func (v Value) Text(buf *[]byte) []byte {
	if !v.Escaped {
		return v.Raw
	}
	*buf = AppendUnescaped((*buf)[:0], v.Raw)
	return *buf
}

// SyntaxError reports invalid JSON and the byte offset where it was found.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string {
	return e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Scanner reads JSON from a byte slice without allocating: it validates
// as it goes, hands out sub-slices of the input, and leaves unescaping to
// AppendUnescaped. The zero value scans nothing; call Reset (or use
// NewScanner) first. It is not safe for concurrent use, and keeps a reference
// to the data until the next Reset.
type Scanner struct {
	data []byte
	pos  int
	// shallow and deep hold one bit per open container in skipContainer,
	// set for an object and clear for an array: shallow for the first 64
	// levels, deep for the rest. deep grows on first use and is kept for
	// reuse when the scanner is pooled.
	shallow uint64
	deep    []uint64
}

// NewScanner returns a Scanner positioned at the start of data.
func NewScanner(data []byte) Scanner { return Scanner{data: data} }

// Reset positions s at the start of data, keeping its nesting buffer for
// reuse; Reset(nil) drops the reference to the previous data.
func (s *Scanner) Reset(data []byte) {
	s.data = data
	s.pos = 0
}

// Offset returns the position of the scanner in its data: the byte after
// the last value, key or delimiter it read.
func (s *Scanner) Offset() int { return s.pos }

// End returns nil when only whitespace is left, or the error for the
// first byte after the top-level value.
func (s *Scanner) End() error {
	if s.AtEnd() {
		return nil
	}
	return s.errorf("invalid character %q after top-level value", s.data[s.pos])
}

func (s *Scanner) errorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: s.pos}
}

func (s *Scanner) errUnexpected() error {
	if s.pos >= len(s.data) {
		return &SyntaxError{Msg: "unexpected end of JSON input", Offset: s.pos}
	}
	return s.errorf("invalid character %q", s.data[s.pos])
}

// skipSpace moves past JSON whitespace.
func (s *Scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// AtEnd reports whether only whitespace is left.
func (s *Scanner) AtEnd() bool {
	s.skipSpace()
	return s.pos >= len(s.data)
}

// Peek returns the next non-whitespace byte, or 0 at the end of the input.
func (s *Scanner) Peek() byte {
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

// stringSpecialMask flags, in the high bit of each byte of w, the bytes that
// are a quote, a backslash or a control character (< 0x20). The lowest flag
// is exact: a byte below the first special one never borrows, so
// bits.TrailingZeros64(mask)/8 is the index of the first special byte.
// Higher flags may be false positives.
func stringSpecialMask(w uint64) uint64 {
	q := w ^ (swarOnes * '"')
	b := w ^ (swarOnes * '\\')
	return (((w - swarOnes*0x20) &^ w) | ((q - swarOnes) &^ q) | ((b - swarOnes) &^ b)) & swarHigh
}

// readString reads the string starting at s.pos (which must hold '"') and
// returns the text between the quotes, whether it contains escapes, and an
// error for an unterminated string, an invalid escape or a raw control
// character. Bytes of 0x80 and above pass through unchecked.
func (s *Scanner) readString() (raw []byte, esc bool, err error) {
	d := s.data
	start := s.pos + 1
	i := start
	for {
		for i+8 <= len(d) {
			if m := stringSpecialMask(binary.LittleEndian.Uint64(d[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
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
				if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
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

// hex4 decodes 4 hex digits, or returns -1.
func hex4(b []byte) rune {
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

// AppendUnescaped appends the unescaped form of raw, the text of a string
// validated by readString, to dst. Like encoding/json, an unpaired UTF-16
// surrogate becomes U+FFFD; other bytes are copied unchanged. The result is
// never longer than raw, so dst grows at most once.
func AppendUnescaped(dst, raw []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(raw))[:n+len(raw)]
	out := dst[n:]
	w, i := 0, 0
	for i < len(raw) {
		// Copy the run up to the next backslash, 8 bytes at a time.
		j := i
		for j+8 <= len(raw) {
			x := binary.LittleEndian.Uint64(raw[j:]) ^ (swarOnes * '\\')
			if m := (x - swarOnes) &^ x & swarHigh; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(raw) && raw[j] != '\\' {
			j++
		}
		w += copy(out[w:], raw[i:j])
		i = j
		if i+1 >= len(raw) {
			w += copy(out[w:], raw[i:]) // a lone trailing backslash: not from readString
			break
		}
		c := raw[i+1]
		i += 2
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := hex4(raw[i:])
			if r < 0 {
				// Not produced by readString; keep the text.
				w += copy(out[w:], `\u`)
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			w += utf8.EncodeRune(out[w:], r)
			continue
		}
		// '"', '\\', '/' stand for themselves.
		out[w] = c
		w++
	}
	return dst[:n+w]
}

// readNumber reads a number at s.pos per the JSON grammar.
func (s *Scanner) readNumber() ([]byte, error) {
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
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		s.pos = i
		return nil, s.errUnexpected()
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			s.pos = i
			return nil, s.errUnexpected()
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			s.pos = i
			return nil, s.errUnexpected()
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	s.pos = i
	return d[start:i], nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// readLiteral reads true, false or null at s.pos.
func (s *Scanner) readLiteral(lit string) ([]byte, error) {
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
func (s *Scanner) readScalar() (Value, error) {
	if s.pos >= len(s.data) {
		return Value{}, s.errUnexpected()
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		raw, esc, err := s.readString()
		return Value{Raw: raw, Kind: String, Escaped: esc}, err
	case c == 't':
		raw, err := s.readLiteral("true")
		return Value{Raw: raw, Kind: Bool}, err
	case c == 'f':
		raw, err := s.readLiteral("false")
		return Value{Raw: raw, Kind: Bool}, err
	case c == 'n':
		raw, err := s.readLiteral("null")
		return Value{Raw: raw, Kind: Null}, err
	case c == '-' || isDigit(c):
		raw, err := s.readNumber()
		return Value{Raw: raw, Kind: Number}, err
	default:
		return Value{}, s.errUnexpected()
	}
}

// ReadValue reads and validates the value after any whitespace at s.pos.
// Objects and arrays are validated but not decoded: their raw text is
// returned for a later pass with BeginObject/NextMember or
// BeginArray/NextElement.
func (s *Scanner) ReadValue() (Value, error) {
	s.skipSpace()
	if s.pos < len(s.data) {
		if c := s.data[s.pos]; c == '{' || c == '[' {
			start := s.pos
			err := s.skipContainer()
			kind := Object
			if c == '[' {
				kind = Array
			}
			return Value{Raw: s.data[start:s.pos], Kind: kind}, err
		}
	}
	return s.readScalar()
}

// setContainer records at depth whether the open container is an object.
func (s *Scanner) setContainer(depth int, object bool) {
	word := &s.shallow
	if depth >= 64 {
		w := depth>>6 - 1
		for len(s.deep) <= w {
			s.deep = append(s.deep, 0)
		}
		word = &s.deep[w]
	}
	bit := uint64(1) << (depth & 63)
	if object {
		*word |= bit
	} else {
		*word &^= bit
	}
}

func (s *Scanner) isObjectAt(depth int) bool {
	word := s.shallow
	if depth >= 64 {
		word = s.deep[depth>>6-1]
	}
	return word&(uint64(1)<<(depth&63)) != 0
}

// readMemberKey reads `"key" :` after whitespace.
func (s *Scanner) readMemberKey() error {
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
// keeping one bit per level, and fails beyond MaxNesting levels.
func (s *Scanner) skipContainer() error {
	depth := 0
	for {
		// s.pos is at '{' or '['.
		open := s.data[s.pos]
		if depth >= MaxNesting {
			return s.errorf("nesting deeper than %d levels", MaxNesting)
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

// BeginObject consumes the '{' that opens an object.
func (s *Scanner) BeginObject() error {
	if s.Peek() != '{' {
		return s.errUnexpected()
	}
	s.pos++
	return nil
}

// NextMember moves to the next member of the object opened by BeginObject:
// it returns the member's raw key (escaped when esc is true) and stops
// before its value, which the caller must read with ReadValue. more is false
// once the closing '}' is consumed. first is true on the first call for the
// object.
func (s *Scanner) NextMember(first bool) (key []byte, esc, more bool, err error) {
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

// BeginArray consumes the '[' that opens an array.
func (s *Scanner) BeginArray() error {
	if s.Peek() != '[' {
		return s.errUnexpected()
	}
	s.pos++
	return nil
}

// NextElement moves to the next element of the array opened by BeginArray
// and stops before it; more is false once the closing ']' is
// consumed. first is true on the first call for the array.
func (s *Scanner) NextElement(first bool) (more bool, err error) {
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
