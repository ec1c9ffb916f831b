package backend

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFunctionErrorTextIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name, typ, message string
		want               string
	}{
		{"short", "E", "boom", `backend: function error E: {"errorMessage":"boom","errorType":"E"}`},
		{"long", "E", "password=hunter2 " + strings.Repeat("é", 1<<20), "… (2097204 bytes)"},
		{"long type", strings.Repeat("T", 5<<20), "boom", "backend: function error " + strings.Repeat("T", 100) + ": "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewFunctionError(tc.typ, tc.message).Error()
			if len(got) > 400 || !utf8.ValidString(got) || !strings.Contains(got, tc.want) {
				t.Errorf("Error() = %.400q (%d bytes): want at most 400 valid bytes containing %q", got, len(got), tc.want)
			}
		})
	}
}
