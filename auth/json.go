package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// decodeJSON decodes the single JSON value data into v, numbers in
// interfaces as json.Number. Anything after the value is an error.
//
// It uses encoding/json, not go-json: what it parses comes from tokens and
// authorizer functions, and the reference parser is the one to trust there
// (go-json v0.10.5 takes "[1,2]]" as valid and miscounts InputOffset after
// multi-byte characters).
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped so the output is also valid JavaScript.
// With ascii, every non-ASCII character is written as \uXXXX (a surrogate
// pair beyond the BMP), as REST's JWT authorizer writes claims.
func appendString[T string | []byte](dst []byte, s T, ascii bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		var buf [utf8.UTFMax]byte
		r, size := utf8.DecodeRune(buf[:copy(buf[:], s[i:])])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' || ascii {
			dst = append(dst, s[start:i]...)
			if r > 0xffff {
				r -= 0x10000
				dst = appendU16(dst, 0xd800+(r>>10))
				dst = appendU16(dst, 0xdc00+(r&0x3ff))
			} else {
				dst = appendU16(dst, r)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU16(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// maxJSONDepth bounds nesting in the scanner below.
const maxJSONDepth = 64

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i (no
// leading space), or -1 when there is none. It checks structure, not every
// detail of numbers and literals: it is for JSON this module produced or
// already validated.
func skipValue(data []byte, i, depth int) int {
	if i >= len(data) || depth > maxJSONDepth {
		return -1
	}
	switch data[i] {
	case '"':
		for i++; i < len(data); i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '[':
		closer := byte('}')
		if data[i] == '[' {
			closer = ']'
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return i + 1
		}
		for {
			if closer == '}' {
				if i >= len(data) || data[i] != '"' {
					return -1
				}
				if i = skipValue(data, i, depth+1); i < 0 {
					return -1
				}
				if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
					return -1
				}
				i = skipSpace(data, i+1)
			}
			if i = skipValue(data, i, depth+1); i < 0 {
				return -1
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return -1
			}
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
			case closer:
				return i + 1
			default:
				return -1
			}
		}
	default:
		j := i
		for j < len(data) {
			switch c := data[j]; {
			case c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
				if j == i {
					return -1
				}
				return j
			}
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// eachMember calls fn with the raw key (without quotes, still escaped) and
// the raw value of every member of the JSON object obj, in order, until fn
// returns false. It reports whether obj was a well-formed object.
func eachMember(obj []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return true
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return false
		}
		k := skipValue(obj, i, 1)
		if k < 0 {
			return false
		}
		key := obj[i+1 : k-1]
		i = skipSpace(obj, k)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipSpace(obj, i+1)
		v := skipValue(obj, i, 1)
		if v < 0 {
			return false
		}
		if !fn(key, obj[i:v]) {
			return true
		}
		i = skipSpace(obj, v)
		if i >= len(obj) {
			return false
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
}

// member returns the raw value of key in obj, or nil.
func member(obj []byte, key string) []byte {
	var out []byte
	eachMember(obj, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}
