package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a config file. Its Error is
// "FILE:LINE:COL: PATH: MSG", leaving out PATH when it is empty, COL when it
// is 0, and LINE:COL when Line is 0.
type Error struct {
	File      string
	Line, Col int    // 1-based; Col counts characters, not bytes
	Path      string // field path, as in Positions; empty for the whole file
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Merge returns the problems of decodeErr (an error of Decode or Load) and
// more (those found in the decoded value afterwards), sorted by position and
// joined with errors.Join. It leaves out each of more that concerns a path at
// or inside one a decoding problem is about: the value there is incomplete,
// so the decoding problem already explains it. It returns nil when there are
// no problems.
func Merge(decodeErr error, more []error) error {
	var errs []error
	if decodeErr != nil {
		errs = unjoin(decodeErr)
	}
	decoded := len(errs)
	for _, err := range more {
		if !explained(err, errs[:decoded]) {
			errs = append(errs, err)
		}
	}
	sortErrors(errs)
	return errors.Join(errs...)
}

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return slices.Clone(j.Unwrap())
	}
	return []error{err}
}

// explained reports whether err concerns a path that one of decodeErrs is
// about (the same path or one inside it), or any path when one of them is
// about the whole file.
func explained(err error, decodeErrs []error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, d := range decodeErrs {
		var de *Error
		if !errors.As(d, &de) {
			continue
		}
		if de.Path == "" || e.Path == de.Path || strings.HasPrefix(e.Path, de.Path+".") || strings.HasPrefix(e.Path, de.Path+"[") {
			return true
		}
	}
	return false
}

// sortErrors sorts errs by the position of each *Error, keeping the order of
// errors at the same place; other errors come first.
func sortErrors(errs []error) {
	at := func(err error) (int, int) {
		var e *Error
		if errors.As(err, &e) {
			return e.Line, e.Col
		}
		return 0, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		la, ca := at(a)
		lb, cb := at(b)
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(ca, cb))
	})
}
