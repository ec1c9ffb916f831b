package jsonbytes

import (
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// safeASCII[b] is true for bytes that appear unescaped inside a JSON string.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// AppendString appends s as a JSON string, quotes included. Invalid UTF-8
// becomes U+FFFD, as encoding/json does, so the output is always valid JSON.
func AppendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	dst = appendBody(dst, s, false, false)
	return append(dst, '"')
}

// AppendStringBody appends s escaped for use inside a JSON string, without
// the quotes, as AppendString would write it.
func AppendStringBody[T string | []byte](dst []byte, s T) []byte {
	return appendBody(dst, s, false, false)
}

// AppendJSString appends s as a JSON string that is also a valid JavaScript
// string literal: as AppendString, and U+2028 and U+2029 escaped. With
// asciiOnly, every non-ASCII character is written as \uXXXX (a surrogate
// pair beyond the BMP), as REST's JWT authorizer writes claims.
func AppendJSString[T string | []byte](dst []byte, s T, asciiOnly bool) []byte {
	dst = append(dst, '"')
	dst = appendBody(dst, s, true, asciiOnly)
	return append(dst, '"')
}

// appendBody escapes s. separators escapes U+2028 and U+2029; asciiOnly
// escapes every non-ASCII character.
func appendBody[T string | []byte](dst []byte, s T, separators, asciiOnly bool) []byte {
	start := 0
	for i := safePrefix(s); i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		size := validRuneLen(s, i)
		if size == 0 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if asciiOnly || separators && size == 3 && s[i] == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			dst = append(dst, s[start:i]...)
			dst = appendRuneEscape(dst, decodeRune(s, i, size))
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// safePrefix is how many bytes at the start of s need no escaping, in
// steps of eight (so it may stop short of the first byte that does).
// Header values such as a bearer token or a cookie are mostly such a run,
// and copying it whole is several times faster than a byte at a time; text
// with an escape every few bytes (JSON in a body) pays one word for it.
func safePrefix[T string | []byte](s T) int {
	var str string
	switch v := any(s).(type) { // a generic loop would not inline load64
	case string:
		str = v
	case []byte:
		str = unsafe.String(unsafe.SliceData(v), len(v)) // read here only
	}
	i := 0
	for i+8 <= len(str) && safeWord(load64(str, i)) {
		i += 8
	}
	return i
}

// Bytes of a word, for safeWord.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// load64 reads the eight bytes of s at i as a little-endian word (the
// compiler makes it one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// safeWord reports whether each of the eight bytes of w is safe ASCII
// (safeASCII): none is below 0x20, a quote, a backslash or non-ASCII.
// Each test is the exact "some byte is zero / below n" bit trick.
func safeWord(w uint64) bool {
	bad := (w - lowBits*0x20) &^ w // a byte below 0x20
	q := w ^ (lowBits * '"')
	bad |= (q - lowBits) &^ q // a byte equal to '"'
	bs := w ^ (lowBits * '\\')
	bad |= (bs - lowBits) &^ bs // a byte equal to '\\'
	return (bad|w)&highBits == 0
}

// decodeRune decodes the valid size-byte sequence at s[i].
func decodeRune[T string | []byte](s T, i, size int) rune {
	r := rune(s[i]) & (0x7f >> size)
	for j := i + 1; j < i+size; j++ {
		r = r<<6 | rune(s[j]&0x3f)
	}
	return r
}

// appendRuneEscape appends r as \uXXXX, or as a surrogate pair of them
// beyond the BMP.
func appendRuneEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		r -= 0x10000
		dst = appendU16(dst, 0xd800+(r>>10))
		return appendU16(dst, 0xdc00+(r&0x3ff))
	}
	return appendU16(dst, r)
}

func appendU16(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// validRuneLen returns the length of the valid UTF-8 sequence starting at
// s[i] (a non-ASCII byte), or 0 when it is invalid (RFC 3629 table 3-7).
func validRuneLen[T string | []byte](s T, i int) int {
	lo, hi := byte(0x80), byte(0xBF)
	var n int
	switch b := s[i]; {
	case b >= 0xC2 && b <= 0xDF:
		n = 2
	case b == 0xE0:
		n, lo = 3, 0xA0
	case b == 0xED:
		n, hi = 3, 0x9F
	case b >= 0xE1 && b <= 0xEF:
		n = 3
	case b == 0xF0:
		n, lo = 4, 0x90
	case b == 0xF4:
		n, hi = 4, 0x8F
	case b >= 0xF1 && b <= 0xF3:
		n = 4
	default:
		return 0
	}
	if i+n > len(s) || s[i+1] < lo || s[i+1] > hi {
		return 0
	}
	for j := i + 2; j < i+n; j++ {
		if s[j] < 0x80 || s[j] > 0xBF {
			return 0
		}
	}
	return n
}
