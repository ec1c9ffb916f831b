package config

import (
	"fmt"
	"strings"
)

// Suggest returns ` (did you mean "x"?)` for the known name closest to an
// unknown one: equal but for case, or at most two edits away (and fewer
// edits than the unknown name has characters). It returns "" otherwise, and
// the first of several equally close names.
func Suggest(unknown string, known []string) string {
	best, bestDist := "", 3
	lower := strings.ToLower(unknown)
	for _, k := range known {
		if strings.EqualFold(k, unknown) {
			best = k
			break
		}
		if dist := editDistance(lower, strings.ToLower(k)); dist < bestDist && dist < len(unknown) {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance returns the optimal string alignment distance between a and
// b: insertions, deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	// rows i-2, i-1 and i of the table
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
