package schedule

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed schedule expression: a rate() or a cron(). The
// zero Expression has no ticks. It is a value, safe for concurrent use.
type Expression struct {
	text string
	// period is the interval of a rate(); zero for a cron().
	period time.Duration
	cron   *cron
}

// Parse parses a schedule expression as EventBridge accepts it (docs/schedules.md):
//
//	rate(1 minute)  rate(5 minutes)  rate(1 hour)  rate(2 hours)  rate(1 day)  rate(7 days)
//	cron(Minutes Hours Day-of-month Month Day-of-week Year)
//
// and, as a Portico extension for local work, rate(1 second) and
// rate(N seconds). The error says what is wrong, for the config's
// `expression:` field.
func Parse(expr string) (Expression, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		p, err := parseRate(expr[len("rate(") : len(expr)-1])
		if err != nil {
			return Expression{}, err
		}
		return Expression{text: expr, period: p}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return Expression{}, err
		}
		return Expression{text: expr, cron: c}, nil
	}
	return Expression{}, fmt.Errorf("want rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year), got %q", expr)
}

// String returns the expression as it was parsed.
func (e Expression) String() string { return e.text }

// Period is the interval of a rate() expression, zero for a cron().
func (e Expression) Period() time.Duration { return e.period }

// Next returns the first tick strictly after after, in loc (nil: UTC), or
// the zero time when there is none (a cron whose years are past, or that
// names a day no month has).
//
// A rate() ticks at every multiple of its period since the Unix epoch
// (1970-01-01T00:00:00Z), whatever loc is: every replica computes the same
// ticks without talking to another, and a day is 24 hours, as EventBridge
// Scheduler counts it across daylight-saving changes. (AWS counts a rate
// from the rule's creation; Portico has no creation time every replica
// agrees on.)
//
// A cron() is read on loc's wall clock, as EventBridge Scheduler reads it
// in the schedule's time zone ("Schedule types in EventBridge Scheduler",
// section "Daylight savings time on EventBridge Scheduler",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):
// "When time shifts forward in the Spring, if a cron expression falls on a
// non-existent date and time, your schedule invocation is skipped. When time
// shifts backwards in the Fall, your schedule runs only once and does not
// repeat its invocation." So a wall time inside the skipped hour has no
// tick, and a wall time of the repeated hour ticks once, at its first
// occurrence (AWS's example: 2:30 runs "before the shift occurs" and not
// again after it).
func (e Expression) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case e.period > 0:
		return nextRate(after, e.period).In(loc)
	case e.cron != nil:
		return e.cron.next(after, loc)
	}
	return time.Time{}
}

// nextRate is the first multiple of period since the epoch strictly after
// after. Every period is whole seconds, so the tick after the floor of
// after's seconds is strictly later than after even with a fraction.
func nextRate(after time.Time, period time.Duration) time.Time {
	s, p := after.Unix(), int64(period/time.Second)
	q := s / p
	if s%p < 0 {
		q-- // floor, for times before 1970
	}
	return time.Unix((q+1)*p, 0)
}

// rateUnits are rate()'s units: the singular for a value of 1, the plural
// for more. "second(s)" is Portico's extension.
var rateUnits = []struct {
	singular, plural string
	d                time.Duration
}{
	{"second", "seconds", time.Second},
	{"minute", "minutes", time.Minute},
	{"hour", "hours", time.Hour},
	{"day", "days", 24 * time.Hour},
}

var errRateSyntax = errors.New("want rate(value unit) with a positive whole value and a unit of minute(s), hour(s) or day(s), as in rate(5 minutes)")

func parseRate(s string) (time.Duration, error) {
	value, unit, ok := strings.Cut(s, " ")
	if !ok || value == "" || unit == "" || strings.ContainsAny(unit, " ") {
		return 0, fmt.Errorf("rate(%s): %w", s, errRateSyntax)
	}
	// Digits only: no sign, no leading zero, no spaces (AWS documents a
	// positive number and no other spelling).
	for i := 0; i < len(value); i++ {
		if value[i] < '0' || value[i] > '9' {
			return 0, fmt.Errorf("rate(%s): value %q is not a positive whole number", s, value)
		}
	}
	if value[0] == '0' {
		return 0, fmt.Errorf("rate(%s): value %q is not a positive whole number", s, value)
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("rate(%s): value %q is too large", s, value)
	}
	for _, u := range rateUnits {
		switch {
		case unit == u.singular && n == 1, unit == u.plural && n > 1:
			if n > math.MaxInt64/int64(u.d) {
				return 0, fmt.Errorf("rate(%s): value %q is too large", s, value)
			}
			return time.Duration(n) * u.d, nil
		case unit == u.singular:
			return 0, fmt.Errorf("rate(%s): a value above 1 takes the plural unit %q", s, u.plural)
		case unit == u.plural:
			return 0, fmt.Errorf("rate(%s): a value of 1 takes the singular unit %q", s, u.singular)
		}
	}
	return 0, fmt.Errorf("rate(%s): unknown unit %q, want minute(s), hour(s) or day(s)", s, unit)
}
