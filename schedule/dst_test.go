package schedule

import (
	"strings"
	"testing"
	"time"
)

// TestNextDaylightSaving checks EventBridge Scheduler's rule (see
// Expression.Next): a cron time in the skipped hour does not tick that
// day; a cron time in the repeated hour ticks once, at its first
// occurrence; a rate counts absolute time. 2026: New York springs forward
// on March 8 (02:00 EST → 03:00 EDT) and falls back on November 1 (02:00
// EDT → 01:00 EST); Paris on March 29 (02:00 CET → 03:00 CEST) and
// October 25 (03:00 CEST → 02:00 CET).
func TestNextDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		expr  string
		loc   *time.Location
		after string // RFC 3339
		want  string // ticks on loc's clock, with their offsets
	}{
		{"New York spring, daily in the skipped hour", "cron(30 2 * * ? *)", ny, "2026-03-06T12:00:00Z",
			"2026-03-07T02:30:00-05:00 2026-03-09T02:30:00-04:00 2026-03-10T02:30:00-04:00"},
		{"New York spring, daily just before and after the gap", "cron(59 1,3 * * ? *)", ny, "2026-03-08T00:00:00-05:00",
			"2026-03-08T01:59:00-05:00 2026-03-08T03:59:00-04:00"},
		{"New York spring, every 15 minutes", "cron(0/15 * * * ? *)", ny, "2026-03-08T01:40:00-05:00",
			"2026-03-08T01:45:00-05:00 2026-03-08T03:00:00-04:00 2026-03-08T03:15:00-04:00"},
		{"New York fall, daily in the repeated hour", "cron(30 1 * * ? *)", ny, "2026-10-31T12:00:00Z",
			"2026-11-01T01:30:00-04:00 2026-11-02T01:30:00-05:00"},
		{"New York fall, every 15 minutes", "cron(0/15 * * * ? *)", ny, "2026-11-01T01:40:00-04:00",
			"2026-11-01T01:45:00-04:00 2026-11-01T02:00:00-05:00 2026-11-01T02:15:00-05:00"},
		// From inside the repeated hour's second pass, its times have
		// already ticked.
		{"New York fall, from the second pass", "cron(0/15 * * * ? *)", ny, "2026-11-01T01:10:00-05:00",
			"2026-11-01T02:00:00-05:00"},
		{"Paris spring, daily in the skipped hour", "cron(30 2 * * ? *)", paris, "2026-03-27T12:00:00Z",
			"2026-03-28T02:30:00+01:00 2026-03-30T02:30:00+02:00"},
		{"Paris fall, daily in the repeated hour", "cron(30 2 * * ? *)", paris, "2026-10-24T12:00:00Z",
			"2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00"},
		{"Paris fall, hourly", "cron(0 * * * ? *)", paris, "2026-10-25T01:30:00+02:00",
			"2026-10-25T02:00:00+02:00 2026-10-25T03:00:00+01:00 2026-10-25T04:00:00+01:00"},
		// A rate counts elapsed time: the repeated hour ticks twice on
		// the clock, the skipped hour not at all, and a day is 24 hours.
		{"New York fall, rate(1 hour)", "rate(1 hour)", ny, "2026-11-01T00:30:00-04:00",
			"2026-11-01T01:00:00-04:00 2026-11-01T01:00:00-05:00 2026-11-01T02:00:00-05:00"},
		{"New York spring, rate(1 hour)", "rate(1 hour)", ny, "2026-03-08T00:30:00-05:00",
			"2026-03-08T01:00:00-05:00 2026-03-08T03:00:00-04:00"},
		{"Paris spring, rate(1 day)", "rate(1 day)", paris, "2026-03-28T00:30:00Z",
			"2026-03-29T01:00:00+01:00 2026-03-30T02:00:00+02:00"},
		{"Paris fall, rate(30 minutes)", "rate(30 minutes)", paris, "2026-10-25T02:15:00+02:00",
			"2026-10-25T02:30:00+02:00 2026-10-25T02:00:00+01:00 2026-10-25T02:30:00+01:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.Fields(tc.want)
			got := nextN(t, tc.expr, utc(tc.after), tc.loc, len(want))
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
