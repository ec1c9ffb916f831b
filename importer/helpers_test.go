package importer

import "strings"

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
