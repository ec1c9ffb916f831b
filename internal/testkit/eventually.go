package testkit

import (
	"testing"
	"time"
)

// pollInterval is how often Poll checks its condition.
const pollInterval = time.Millisecond

// Poll checks cond every millisecond until it returns true, and reports
// whether it did within the given time. It is for state another goroutine
// or process changes that no channel reports; prefer a channel when there
// is one.
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// Eventually is Poll that fails the test, "waiting for what", when cond
// has not returned true within the given time.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("gave up after %v waiting for %s", within, what)
	}
}
