// Package httptoken is the one copy of the HTTP token rule (RFC 9110
// §5.6.2): the characters header names and methods are made of. Valid does
// not allocate.
package httptoken

// tchar marks the bytes of a token.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// Valid reports whether s is a token: not empty, and only token characters.
func Valid[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}
