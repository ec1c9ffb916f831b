// Package fielderr is the one way a part of the config reports its
// problems: each as an *Error naming a field by its path relative to the
// part (a function's block, a throttle, an authorizer). The package that
// composes the parts (platform, gateway) places them in the file with
// config.Positions.Place. Leaves use it without importing the decoder.
package fielderr

import (
	"fmt"
	"net/url"
	"slices"
)

// Error is a problem with one field of a config; Path is relative to the
// part that reported it ("timeout", "env.GREETING"), empty for the part as
// a whole.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Field returns the path and message, for config.Positions.Place.
func (e *Error) Field() (path, msg string) { return e.Path, e.Msg }

// List collects the *Error values a Validate returns, so that each check
// is one line.
type List []error

// Add records a problem with the field at path.
func (p *List) Add(path, format string, args ...any) {
	*p = append(*p, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Nest records the problems a nested part reported, under its path.
func (p *List) Nest(path string, errs []error) {
	for _, err := range errs {
		if fe, ok := err.(*Error); ok && fe.Path != "" {
			p.Add(path+"."+fe.Path, "%s", fe.Msg)
		} else if ok {
			p.Add(path, "%s", fe.Msg)
		} else {
			p.Add(path, "%v", err)
		}
	}
}

// NotNegative records a negative v (a count, or a duration in nanoseconds)
// of the field at path.
func (p *List) NotNegative(path string, v int64) {
	if v < 0 {
		p.Add(path, "must not be negative")
	}
}

// HTTPURL records a u at path that is not an absolute http:// or https://
// URL.
func (p *List) HTTPURL(path, u string) {
	if v, err := url.Parse(u); err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
		p.Add(path, "want an absolute http:// or https:// URL, got %q", u)
	}
}

// Field is one optional field of a config and whether it is set, for
// Unused.
type Field struct {
	Name string
	Set  bool
}

// Unused reports, in order, each set field that used does not list:
// a field the config's kind (owner, e.g. "type jwt") ignores, which is a
// mistake a user wants to hear about.
func Unused(owner string, used []string, fields []Field) []error {
	var errs []error
	for _, f := range fields {
		if f.Set && !slices.Contains(used, f.Name) {
			errs = append(errs, &Error{Path: f.Name, Msg: "not used by " + owner})
		}
	}
	return errs
}
