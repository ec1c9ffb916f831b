package testkit

import (
	"net/http"
	"strconv"
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

// EventuallyGet asks url with GET until it answers status, and fails the
// test when it has not within the given time.
func EventuallyGet(t testing.TB, within time.Duration, url string, status int) {
	t.Helper()
	Eventually(t, within, url+" to answer "+strconv.Itoa(status), func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == status
	})
}
