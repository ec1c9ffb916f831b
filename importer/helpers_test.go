package importer

import (
	"os"
	"strings"
	"testing"
)

// hasNote reports whether a note's key starts with keyPrefix and its
// reason contains reason.
func hasNote(notes []Note, keyPrefix, reason string) bool {
	for _, n := range notes {
		if strings.HasPrefix(n.Key, keyPrefix) && strings.Contains(n.Reason, reason) {
			return true
		}
	}
	return false
}

// readFile is the file at path, which a test needs.
func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
