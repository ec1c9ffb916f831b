package ratelimit

import (
	"strings"
	"time"
)

type period uint8

const (
	day period = iota + 1
	week
	month
)

// parsePeriod maps a Quota.Period (day, week, month; any case) to a period.
func parsePeriod(s string) (period, bool) {
	switch {
	case strings.EqualFold(s, PeriodDay):
		return day, true
	case strings.EqualFold(s, PeriodWeek):
		return week, true
	case strings.EqualFold(s, PeriodMonth):
		return month, true
	}
	return 0, false
}

// bounds returns the UTC calendar period that contains now: [start, end).
// A day starts at 00:00 UTC, a week on Sunday 00:00 UTC, a month on the 1st
// at 00:00 UTC.
//
// AWS does not document how usage-plan periods are aligned. Weeks start on
// Sunday because the only AWS text on it, the QuotaSettings.offset doc of
// earlier AWS SDKs (e.g. aws-sdk-ruby apigateway 1.73: "with a time period
// of WEEK, an offset of 0 starts on Sunday"), says so for the default.
func (p period) bounds(now time.Time) (start, end time.Time) {
	y, m, d := now.UTC().Date()
	switch p {
	case day:
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	case week:
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		start = start.AddDate(0, 0, -int(start.Weekday()))
		return start, start.AddDate(0, 0, 7)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
}

// quotaLimit returns the quota of a period: q.Limit, less q.Offset in the
// first period.
func quotaLimit(q *Quota, first bool) int64 {
	if first && q.Offset > 0 {
		return max(q.Limit-int64(q.Offset), 0)
	}
	return q.Limit
}

// quotaDecision is the decision for a quota after counting: used is the
// requests counted in the period including this one when allowed.
func quotaDecision(allowed bool, used, limit int64, now, end time.Time) Decision {
	reset := end.Sub(now)
	d := Decision{Allowed: allowed, Limit: limit, Reset: reset}
	if allowed {
		d.Remaining = max(limit-used, 0)
	} else {
		d.RetryAfter = reset
	}
	return d
}
