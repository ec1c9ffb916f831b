package backend

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFunctionErrorTextIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		message string
		want    string
	}{
		{"short", "boom", `backend: function error E: {"errorMessage":"boom","errorType":"E"}`},
		{"long", "password=hunter2 " + strings.Repeat("é", 1<<20), "… (2097204 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewFunctionError("E", tc.message).Error()
			if len(got) > 300 || !utf8.ValidString(got) || !strings.Contains(got, tc.want) {
				t.Errorf("Error() = %.400q (%d bytes): want at most 300 valid bytes containing %q", got, len(got), tc.want)
			}
		})
	}
}
