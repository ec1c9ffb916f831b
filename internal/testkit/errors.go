package testkit

import (
	"strings"
	"testing"
)

// ErrorsAre fails t unless got's messages are want, in order: how a
// Validate test compares what it reported.
func ErrorsAre(t testing.TB, got []error, want []string) {
	t.Helper()
	msgs := make([]string, len(got))
	for i, err := range got {
		msgs[i] = err.Error()
	}
	if g, w := strings.Join(msgs, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
}
