package schedule

import (
	"strings"
	"testing"
	"time"
)

// from is the fixed instant the tables count from: Friday 2026-02-27
// 10:07:30 UTC.
var from = time.Date(2026, 2, 27, 10, 7, 30, 0, time.UTC)

// nextN returns the next n ticks of expr after after in loc, formatted on
// loc's clock with the offset.
func nextN(t *testing.T, expr string, after time.Time, loc *time.Location, n int) []string {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	var got []string
	for at := after; len(got) < n; {
		at = e.Next(at, loc)
		if at.IsZero() {
			break
		}
		got = append(got, at.In(loc).Format("2006-01-02T15:04:05Z07:00"))
	}
	return got
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // the next ticks after from, UTC, space separated
	}{
		{"rate(1 minute)", "2026-02-27T10:08:00Z 2026-02-27T10:09:00Z 2026-02-27T10:10:00Z"},
		{"rate(5 minutes)", "2026-02-27T10:10:00Z 2026-02-27T10:15:00Z 2026-02-27T10:20:00Z"},
		{"rate(1 hour)", "2026-02-27T11:00:00Z 2026-02-27T12:00:00Z 2026-02-27T13:00:00Z"},
		// Multiples of 5 hours since the epoch, not since midnight: the
		// 492275th hour is 2026-02-27T11:00Z.
		{"rate(5 hours)", "2026-02-27T11:00:00Z 2026-02-27T16:00:00Z 2026-02-27T21:00:00Z"},
		{"rate(1 day)", "2026-02-28T00:00:00Z 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z"},
		// 1970-01-01 was a Thursday: weekly ticks fall on Thursdays.
		{"rate(7 days)", "2026-03-05T00:00:00Z 2026-03-12T00:00:00Z 2026-03-19T00:00:00Z"},
		{"rate(1 second)", "2026-02-27T10:07:31Z 2026-02-27T10:07:32Z 2026-02-27T10:07:33Z"},
		{"rate(45 seconds)", "2026-02-27T10:08:15Z 2026-02-27T10:09:00Z 2026-02-27T10:09:45Z"},
		{"cron(0 10 * * ? *)", "2026-02-28T10:00:00Z 2026-03-01T10:00:00Z 2026-03-02T10:00:00Z"},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-02-27T10:10:00Z 2026-02-27T10:15:00Z 2026-02-27T10:20:00Z"},
		{"cron(55 17 ? * MON-FRI *)", "2026-02-27T17:55:00Z 2026-03-02T17:55:00Z 2026-03-03T17:55:00Z"},
		{"cron(1/20 10 * * ? *)", "2026-02-27T10:21:00Z 2026-02-27T10:41:00Z 2026-02-28T10:01:00Z"},
		{"cron(0,30 9 1,15 * ? *)", "2026-03-01T09:00:00Z 2026-03-01T09:30:00Z 2026-03-15T09:00:00Z"},
		{"cron(15 10 ? * 6L 2026-2027)", "2026-02-27T10:15:00Z 2026-03-27T10:15:00Z 2026-04-24T10:15:00Z"},
		{"cron(15 10 ? * FRIL *)", "2026-02-27T10:15:00Z 2026-03-27T10:15:00Z 2026-04-24T10:15:00Z"},
		// Every Saturday: L alone in day-of-week is the week's last day.
		{"cron(0 8 ? * L *)", "2026-02-28T08:00:00Z 2026-03-07T08:00:00Z 2026-03-14T08:00:00Z"},
		{"cron(0 0 L * ? *)", "2026-02-28T00:00:00Z 2026-03-31T00:00:00Z 2026-04-30T00:00:00Z"},
		// Wrapping ranges: hours past midnight, months past December,
		// weekdays past Saturday.
		{"cron(0 22-1 * * ? *)", "2026-02-27T22:00:00Z 2026-02-27T23:00:00Z 2026-02-28T00:00:00Z 2026-02-28T01:00:00Z 2026-02-28T22:00:00Z"},
		{"cron(0 12 1 NOV-FEB ? *)", "2026-11-01T12:00:00Z 2026-12-01T12:00:00Z 2027-01-01T12:00:00Z 2027-02-01T12:00:00Z 2027-11-01T12:00:00Z"},
		{"cron(0 12 ? * FRI-SUN *)", "2026-02-27T12:00:00Z 2026-02-28T12:00:00Z 2026-03-01T12:00:00Z 2026-03-06T12:00:00Z"},
		{"cron(0 22-2/2 * * ? *)", "2026-02-27T22:00:00Z 2026-02-28T00:00:00Z 2026-02-28T02:00:00Z 2026-02-28T22:00:00Z"},
		// Names are case-insensitive; 1 = Sunday.
		{"cron(0 12 ? jan-feb sun 2027)", "2027-01-03T12:00:00Z 2027-01-10T12:00:00Z 2027-01-17T12:00:00Z"},
		{"cron(0 12 ? * 1 *)", "2026-03-01T12:00:00Z 2026-03-08T12:00:00Z"},
		// Years: a list, a step, a range that is over.
		{"cron(0 0 1 1 ? 2028,2030/5)", "2028-01-01T00:00:00Z 2030-01-01T00:00:00Z 2035-01-01T00:00:00Z 2040-01-01T00:00:00Z"},
		{"cron(0 0 1 1 ? 2197-2199)", "2197-01-01T00:00:00Z 2198-01-01T00:00:00Z 2199-01-01T00:00:00Z"},
		{"cron(15 10 ? * 6L 2019-2022)", ""},
		{"cron(0 0 1 1 ? 2020)", ""},
		// The 31st of a month that has none, and the 30th of February,
		// never tick: months without the day are skipped.
		{"cron(0 0 31 * ? *)", "2026-03-31T00:00:00Z 2026-05-31T00:00:00Z 2026-07-31T00:00:00Z 2026-08-31T00:00:00Z"},
		{"cron(0 0 30 2 ? *)", ""},
		{"cron(0 0 29 2 ? *)", "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			want := strings.Fields(tc.want)
			got := nextN(t, tc.expr, from, time.UTC, max(len(want), 1))
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestNextSpecialDays covers L, W and # at the edges of months.
func TestNextSpecialDays(t *testing.T) {
	jan1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, expr, want string
	}{
		// 2026-02-01 and 2026-03-01 are Sundays, 2026-08-01 a Saturday:
		// 1W moves forward to Monday inside the month, never back into
		// the month before.
		{"1W on a weekend", "cron(0 9 1W * ? *)", "2026-01-01T09:00:00Z 2026-02-02T09:00:00Z 2026-03-02T09:00:00Z 2026-04-01T09:00:00Z 2026-05-01T09:00:00Z 2026-06-01T09:00:00Z 2026-07-01T09:00:00Z 2026-08-03T09:00:00Z"},
		// 2026-01-31 is a Saturday (Friday 30th), 2026-05-31 a Sunday
		// (Friday 29th: never Monday June 1st); April, June... have no
		// 31st.
		{"31W at the month's end", "cron(0 9 31W * ? *)", "2026-01-30T09:00:00Z 2026-03-31T09:00:00Z 2026-05-29T09:00:00Z 2026-07-31T09:00:00Z 2026-08-31T09:00:00Z 2026-10-30T09:00:00Z 2026-12-31T09:00:00Z"},
		// 2026-02-15 is a Sunday: Monday 16th; 2026-08-15 a Saturday:
		// Friday 14th.
		{"15W", "cron(0 9 15W * ? *)", "2026-01-15T09:00:00Z 2026-02-16T09:00:00Z 2026-03-16T09:00:00Z 2026-04-15T09:00:00Z 2026-05-15T09:00:00Z 2026-06-15T09:00:00Z 2026-07-15T09:00:00Z 2026-08-14T09:00:00Z"},
		// A fifth Monday exists only in some months (2026: March, June,
		// August, November).
		{"fifth Monday", "cron(0 9 ? * MON#5 *)", "2026-03-30T09:00:00Z 2026-06-29T09:00:00Z 2026-08-31T09:00:00Z 2026-11-30T09:00:00Z"},
		{"first Sunday", "cron(0 9 ? * 1#1 *)", "2026-01-04T09:00:00Z 2026-02-01T09:00:00Z 2026-03-01T09:00:00Z"},
		{"last day in a leap February", "cron(0 0 L 2 ? 2028)", "2028-02-29T00:00:00Z"},
		// 2026-05-31 is itself a Sunday.
		{"last Sunday", "cron(0 0 ? * 1L *)", "2026-01-25T00:00:00Z 2026-02-22T00:00:00Z 2026-03-29T00:00:00Z 2026-04-26T00:00:00Z 2026-05-31T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.Fields(tc.want)
			got := nextN(t, tc.expr, jan1, time.UTC, len(want))
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct {
		expr, want string
	}{
		{"", `want rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), got ""`},
		{"every 5 minutes", `want rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), got "every 5 minutes"`},
		{"Rate(5 minutes)", `want rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), got "Rate(5 minutes)"`},
		{"at(2026-01-01T00:00:00)", `want rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), got "at(2026-01-01T00:00:00)"`},
		{"rate(5minutes)", `rate(5minutes): want rate(value unit) with a positive whole value and a unit of minute(s), hour(s) or day(s), as in rate(5 minutes)`},
		{"rate(5  minutes)", `rate(5  minutes): want rate(value unit) with a positive whole value and a unit of minute(s), hour(s) or day(s), as in rate(5 minutes)`},
		{"rate(1 hours)", `rate(1 hours): a value of 1 takes the singular unit "hour"`},
		{"rate(5 hour)", `rate(5 hour): a value above 1 takes the plural unit "hours"`},
		{"rate(1 minutes)", `rate(1 minutes): a value of 1 takes the singular unit "minute"`},
		{"rate(2 second)", `rate(2 second): a value above 1 takes the plural unit "seconds"`},
		{"rate(0 minutes)", `rate(0 minutes): value "0" is not a positive whole number`},
		{"rate(-5 minutes)", `rate(-5 minutes): value "-5" is not a positive whole number`},
		{"rate(1.5 hours)", `rate(1.5 hours): value "1.5" is not a positive whole number`},
		{"rate(05 minutes)", `rate(05 minutes): value "05" is not a positive whole number`},
		{"rate(5 weeks)", `rate(5 weeks): unknown unit "weeks", want minute(s), hour(s) or day(s)`},
		{"rate(99999999999999999999 days)", `rate(99999999999999999999 days): value "99999999999999999999" is too large`},
		{"rate(999999999 days)", `rate(999999999 days): value "999999999" is too large`},
		{"cron(0 10 * * ?)", `cron(0 10 * * ?): 5 fields, want 6 (Minutes Hours Day-of-month Month Day-of-week Year)`},
		{"cron(0 0 10 * * ? *)", `cron(0 0 10 * * ? *): 7 fields, want 6 (Minutes Hours Day-of-month Month Day-of-week Year): there is no seconds field, a cron fires at most once a minute`},
		{"cron(60 10 * * ? *)", `cron(60 10 * * ? *): minutes "60": 60 is out of range 0-59`},
		{"cron(0 24 * * ? *)", `cron(0 24 * * ? *): hours "24": 24 is out of range 0-23`},
		{"cron(0 10 0 * ? *)", `cron(0 10 0 * ? *): day-of-month "0": 0 is out of range 1-31`},
		{"cron(0 10 * 13 ? *)", `cron(0 10 * 13 ? *): month "13": 13 is out of range 1-12`},
		{"cron(0 10 * JANUARY ? *)", `cron(0 10 * JANUARY ? *): month "JANUARY": "JANUARY" is not a number 1-12 or a name JAN-DEC`},
		{"cron(0 10 ? * 0 *)", `cron(0 10 ? * 0 *): day-of-week "0": 0 is out of range 1-7`},
		{"cron(0 10 ? * 8 *)", `cron(0 10 ? * 8 *): day-of-week "8": 8 is out of range 1-7`},
		{"cron(0 10 * * ? 1969)", `cron(0 10 * * ? 1969): year "1969": 1969 is out of range 1970-2199`},
		{"cron(0 10 * * ? 2200)", `cron(0 10 * * ? 2200): year "2200": 2200 is out of range 1970-2199`},
		{"cron(0 10 * * ? 2030-2020)", `cron(0 10 * * ? 2030-2020): year "2030-2020": a range of years cannot wrap`},
		{"cron(0/0 10 * * ? *)", `cron(0/0 10 * * ? *): minutes "0/0": step "0" must be a whole number from 1 to 60`},
		{"cron(0/61 10 * * ? *)", `cron(0/61 10 * * ? *): minutes "0/61": step "61" must be a whole number from 1 to 60`},
		{"cron(0,,5 10 * * ? *)", `cron(0,,5 10 * * ? *): minutes "": empty list item`},
		{"cron(x 10 * * ? *)", `cron(x 10 * * ? *): minutes "x": "x" is not a number 0-59`},
		{"cron(? 10 * * ? *)", `cron(? 10 * * ? *): minutes "?": "?" is not a number 0-59`},
		// The day fields.
		{"cron(0 10 * * * *)", `cron(0 10 * * * *): "*" in both day-of-month and day-of-week: one of them must be "?"`},
		{"cron(0 10 1 * MON *)", `cron(0 10 1 * MON *): day-of-month and day-of-week are both set: one of them must be "?"`},
		{"cron(0 10 * * MON *)", `cron(0 10 * * MON *): day-of-month and day-of-week are both set: one of them must be "?"`},
		{"cron(0 10 ? * ? *)", `cron(0 10 ? * ? *): day-of-month and day-of-week are both "?": one of them must name the days`},
		{"cron(0 10 1,? * ? *)", `cron(0 10 1,? * ? *): day-of-month "1,?": "?" must stand alone in its field`},
		{"cron(0 10 LW * ? *)", `cron(0 10 LW * ? *): day-of-month "LW": L must stand alone (LW and L-n are not supported)`},
		{"cron(0 10 L-3 * ? *)", `cron(0 10 L-3 * ? *): day-of-month "L-3": L must stand alone (LW and L-n are not supported)`},
		{"cron(0 10 1,L * ? *)", `cron(0 10 1,L * ? *): day-of-month "1,L": L must stand alone (LW and L-n are not supported)`},
		{"cron(0 10 1W,15 * ? *)", `cron(0 10 1W,15 * ? *): day-of-month "1W,15": W must stand alone in its field, not in a list`},
		{"cron(0 10 1-5W * ? *)", `cron(0 10 1-5W * ? *): day-of-month "1-5W": W follows a single day, as in 15W`},
		{"cron(0 10 W * ? *)", `cron(0 10 W * ? *): day-of-month "W": W follows a single day, as in 15W`},
		{"cron(0 10 32W * ? *)", `cron(0 10 32W * ? *): day-of-month "32W": 32 is out of range 1-31`},
		{"cron(0 10 1#2 * ? *)", `cron(0 10 1#2 * ? *): day-of-month "1#2": # belongs to day-of-week`},
		{"cron(0 10 ? * 3#1,6#3 *)", `cron(0 10 ? * 3#1,6#3 *): day-of-week "3#1,6#3": only one # expression is allowed in the field`},
		{"cron(0 10 ? * 3#1,5 *)", `cron(0 10 ? * 3#1,5 *): day-of-week "3#1,5": only one # expression is allowed in the field`},
		{"cron(0 10 ? * 3#6 *)", `cron(0 10 ? * 3#6 *): day-of-week "3#6": the week after # must be 1-5`},
		{"cron(0 10 ? * 3#0 *)", `cron(0 10 ? * 3#0 *): day-of-week "3#0": the week after # must be 1-5`},
		{"cron(0 10 ? * 9#1 *)", `cron(0 10 ? * 9#1 *): day-of-week "9#1": 9 is out of range 1-7`},
		{"cron(0 10 ? * 6L,2 *)", `cron(0 10 ? * 6L,2 *): day-of-week "6L,2": L must stand alone in its field, not in a list`},
		{"cron(0 10 ? * 2-6L *)", `cron(0 10 ? * 2-6L *): day-of-week "2-6L": L follows a single weekday, as in 6L (the last Friday)`},
		{"cron(0 10 ? * 1W *)", `cron(0 10 ? * 1W *): day-of-week "1W": W belongs to day-of-month`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q): no error, want %q", tc.expr, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}
