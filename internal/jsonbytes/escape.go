package jsonbytes

import (
	"unicode/utf8"
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
	for i := 0; i < len(s); {
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
