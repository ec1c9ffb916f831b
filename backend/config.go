package backend

import (
	"fmt"
	"net/url"
	"slices"
)

// FieldError is a problem with one field of a config; Path is relative to
// the struct that reported it ("timeout", "env.GREETING").
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Problems collects the *FieldError values a kind's Validate returns, so
// that each check is one line.
type Problems []error

// Add records a problem with the field at path.
func (p *Problems) Add(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// NotNegative records a negative v (a count, or a duration in nanoseconds)
// of the field at path.
func (p *Problems) NotNegative(path string, v int64) {
	if v < 0 {
		p.Add(path, "must not be negative")
	}
}

// HTTPURL records a u at path that is not an absolute http:// or https://
// URL.
func (p *Problems) HTTPURL(path, u string) {
	if v, err := url.Parse(u); err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
		p.Add(path, "want an absolute http:// or https:// URL, got %q", u)
	}
}

// Field is one optional field of a config and whether it is set, for
// UnusedFields.
type Field struct {
	Name string
	Set  bool
}

// UnusedFields reports, in order, each set field that used does not list:
// a field the config's kind (owner, e.g. "type jwt") ignores, which is a
// mistake a user wants to hear about.
func UnusedFields(owner string, used []string, fields []Field) []error {
	var errs []error
	for _, f := range fields {
		if f.Set && !slices.Contains(used, f.Name) {
			errs = append(errs, &FieldError{Path: f.Name, Msg: "not used by " + owner})
		}
	}
	return errs
}
