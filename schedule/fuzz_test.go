package schedule

import (
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that what it accepts prints
// back as given, and that Next moves strictly forward in a zone with
// daylight saving.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 second)", "rate(7 days)",
		"cron(0 10 * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(15 10 ? * 6L 2019-2022)",
		"cron(0 9 1W * ? *)", "cron(0 9 ? * 2#5 *)", "cron(0 22-2/2 * * ? *)", "cron(0 0 L * ? *)",
		"cron(0 10 LW * ? *)", "cron(0 10 ? * 3#1,6#3 *)", "cron(0 0 30 2 ? *)", "cron(* * * * ? *)",
	} {
		f.Add(s)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	start := time.Date(2026, 10, 25, 0, 10, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		if e.String() != s {
			t.Fatalf("String: got %q, want %q", e.String(), s)
		}
		at := start
		for range 5 {
			n := e.Next(at, paris)
			if n.IsZero() {
				return
			}
			if !n.After(at) {
				t.Fatalf("%s: Next(%v) = %v, not after", s, at, n)
			}
			if e.Period() == 0 && n.Second() != 0 {
				t.Fatalf("%s: Next(%v) = %v, not on a minute", s, at, n)
			}
			at = n
		}
	})
}
