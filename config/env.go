package config

import (
	"fmt"
	"os"
	"strings"
)

// expandEnv returns s with every ${VAR} replaced by the value lookup gives
// for VAR and every ${VAR:-default} by that value, or by default when VAR is
// unset or empty. "$$" stands for a literal "$", and a "$" followed by
// anything but "{" or "$" stays as it is, so "$default" needs no escaping.
// The result is not expanded again. A nil lookup means os.LookupEnv.
//
// It returns every unset variable as an error; a malformed ${...} ends the
// expansion with one more. With errors the returned string is meaningless.
func expandEnv(s string, lookup func(string) (string, bool)) (string, []error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var b strings.Builder
	b.Grow(len(s))
	var errs []error
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", append(errs, fmt.Errorf("unterminated %q (missing \"}\")", s[i:]))
		}
		expr := s[i : i+end+1] // "${...}"
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(expr[2:len(expr)-1], ":-")
		switch {
		case name == "":
			return "", append(errs, fmt.Errorf("missing variable name in %q", expr))
		case !isEnvName(name):
			return "", append(errs, fmt.Errorf("invalid %q: want ${VAR} or ${VAR:-default}", expr))
		case strings.Contains(def, "${"):
			return "", append(errs, fmt.Errorf("invalid %q: a default cannot hold another ${...}", expr))
		}
		v, ok := lookup(name)
		switch {
		case hasDef && v == "":
			b.WriteString(def)
		case ok:
			b.WriteString(v)
		default:
			errs = append(errs, fmt.Errorf("${%s} is not set", name))
		}
	}
	if len(errs) > 0 {
		return "", errs
	}
	return b.String(), nil
}

// isEnvName reports whether name is a shell variable name: a letter or
// underscore, then letters, digits and underscores.
func isEnvName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return name != ""
}
