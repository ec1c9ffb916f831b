package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cron is a parsed cron() expression: the set of each field, and the one
// day field that is not "?".
type cron struct {
	minutes, hours, months, years bits
	dom                           domSpec // used when dow.any
	dow                           dowSpec // used when dom.any
}

// bits is a set of small integers (a field's values less its minimum).
type bits [4]uint64

func (b *bits) add(i int)     { b[i>>6] |= 1 << (i & 63) }
func (b bits) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

// field describes one of the six fields.
type field struct {
	name     string
	min, max int
	names    []string // names[i] spells min+i; nil: numbers only
}

var (
	fMinutes = field{name: "minutes", min: 0, max: 59}
	fHours   = field{name: "hours", min: 0, max: 23}
	fDOM     = field{name: "day-of-month", min: 1, max: 31}
	fMonth   = field{name: "month", min: 1, max: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	// Day-of-week counts from 1 = Sunday, as EventBridge does.
	fDOW = field{name: "day-of-week", min: 1, max: 7,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	fYear = field{name: "year", min: 1970, max: 2199}
)

// domKind and dowKind say how a day field picks its days.
type domKind uint8

const (
	domSet     domKind = iota // the days in set (* is every day)
	domLast                   // L: the last day of the month
	domWeekday                // nW: the weekday nearest to day n
)

type domSpec struct {
	any  bool // "?"
	kind domKind
	set  bits // days less 1
	n    int
}

type dowKind uint8

const (
	dowSet  dowKind = iota // the weekdays in set
	dowLast                // dL: the last weekday d of the month
	dowNth                 // d#n: the n-th weekday d of the month
)

type dowSpec struct {
	any  bool // "?"
	kind dowKind
	set  bits // weekdays less 1 (0 = Sunday)
	d, n int
}

func parseCron(s string) (*cron, error) {
	fs := strings.Fields(s)
	switch {
	case len(fs) == 7:
		return nil, fmt.Errorf("cron(%s): 7 fields, want 6 (Minutes Hours Day-of-month Month Day-of-week Year): there is no seconds field, a cron fires at most once a minute", s)
	case len(fs) != 6:
		return nil, fmt.Errorf("cron(%s): %d fields, want 6 (Minutes Hours Day-of-month Month Day-of-week Year)", s, len(fs))
	}
	c := &cron{}
	var err error
	if c.minutes, err = fMinutes.parse(fs[0]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	if c.hours, err = fHours.parse(fs[1]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	if c.dom, err = parseDOM(fs[2]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	if c.months, err = fMonth.parse(fs[3]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	if c.dow, err = parseDOW(fs[4]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	if c.years, err = fYear.parse(fs[5]); err != nil {
		return nil, fmt.Errorf("cron(%s): %w", s, err)
	}
	// "You can't use * in both the Day-of-month and Day-of-week fields. If
	// you use it in one, you must use ? in the other": exactly one of them
	// is "?".
	switch {
	case c.dom.any && c.dow.any:
		return nil, fmt.Errorf("cron(%s): day-of-month and day-of-week are both \"?\": one of them must name the days", s)
	case !c.dom.any && !c.dow.any:
		if fs[2] == "*" && fs[4] == "*" {
			return nil, fmt.Errorf("cron(%s): \"*\" in both day-of-month and day-of-week: one of them must be \"?\"", s)
		}
		return nil, fmt.Errorf("cron(%s): day-of-month and day-of-week are both set: one of them must be \"?\"", s)
	}
	return c, nil
}

// parse reads a field of values: a list of *, a value, a range a-b (which
// may wrap past the maximum, except for years), each with an optional /step.
func (f field) parse(s string) (bits, error) {
	var b bits
	for item := range strings.SplitSeq(s, ",") {
		if err := f.parseItem(item, &b); err != nil {
			return bits{}, err
		}
	}
	return b, nil
}

func (f field) parseItem(item string, b *bits) error {
	if item == "" {
		return fmt.Errorf("%s %q: empty list item", f.name, item)
	}
	rng, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || !isDigits(stepText) || n < 1 || n > f.max-f.min+1 {
			return fmt.Errorf("%s %q: step %q must be a whole number from 1 to %d", f.name, item, stepText, f.max-f.min+1)
		}
		step = n
	}
	lo, hi := f.min, f.max
	switch {
	case rng == "*":
	case strings.Contains(rng, "-"):
		a, z, _ := strings.Cut(rng, "-")
		var err error
		if lo, err = f.value(a, item); err != nil {
			return err
		}
		if hi, err = f.value(z, item); err != nil {
			return err
		}
		if lo > hi && f.name == fYear.name {
			return fmt.Errorf("%s %q: a range of years cannot wrap", f.name, item)
		}
	default:
		v, err := f.value(rng, item)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v // a single value; "a/step" runs from a to the maximum
		}
	}
	// Walk from lo to hi, wrapping past the maximum when lo > hi (hours
	// 20-2 is 20:00 through 02:59).
	span := f.max - f.min + 1
	length := (hi - lo + span) % span
	for off := 0; off <= length; off += step {
		b.add((lo - f.min + off) % span)
	}
	return nil
}

// value reads one number or name of the field.
func (f field) value(s, item string) (int, error) {
	if isDigits(s) {
		if v, err := strconv.Atoi(s); err == nil && v >= f.min && v <= f.max {
			return v, nil
		}
		return 0, fmt.Errorf("%s %q: %s is out of range %d-%d", f.name, item, s, f.min, f.max)
	}
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	if f.names != nil {
		return 0, fmt.Errorf("%s %q: %q is not a number %d-%d or a name %s-%s", f.name, item, s, f.min, f.max, f.names[0], f.names[len(f.names)-1])
	}
	return 0, fmt.Errorf("%s %q: %q is not a number %d-%d", f.name, item, s, f.min, f.max)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// alone reports whether a special item (L, W, #) is the whole field:
// AWS documents each as one expression, and a list of them is not
// documented (for #, "3#1,6#3" is documented as invalid).
func alone(f field, s, what string) error {
	if strings.Contains(s, ",") {
		return fmt.Errorf("%s %q: %s must stand alone in its field, not in a list", f.name, s, what)
	}
	return nil
}

func parseDOM(s string) (domSpec, error) {
	switch {
	case s == "?":
		return domSpec{any: true}, nil
	case s == "L":
		return domSpec{kind: domLast}, nil
	case strings.Contains(s, "?"):
		return domSpec{}, fmt.Errorf("%s %q: \"?\" must stand alone in its field", fDOM.name, s)
	case strings.HasPrefix(s, "L"):
		// LW (last weekday) and L-n (n days before the last) are Quartz's,
		// not documented by AWS.
		return domSpec{}, fmt.Errorf("%s %q: L must stand alone (LW and L-n are not supported)", fDOM.name, s)
	case strings.Contains(s, "L"):
		return domSpec{}, fmt.Errorf("%s %q: L must stand alone (LW and L-n are not supported)", fDOM.name, s)
	case strings.Contains(s, "W"):
		if err := alone(fDOM, s, "W"); err != nil {
			return domSpec{}, err
		}
		day, ok := strings.CutSuffix(s, "W")
		if !ok || !isDigits(day) {
			return domSpec{}, fmt.Errorf("%s %q: W follows a single day, as in 15W", fDOM.name, s)
		}
		n, err := fDOM.value(day, s)
		if err != nil {
			return domSpec{}, err
		}
		return domSpec{kind: domWeekday, n: n}, nil
	case strings.Contains(s, "#"):
		return domSpec{}, fmt.Errorf("%s %q: # belongs to day-of-week", fDOM.name, s)
	}
	set, err := fDOM.parse(s)
	if err != nil {
		return domSpec{}, err
	}
	return domSpec{kind: domSet, set: set}, nil
}

func parseDOW(s string) (dowSpec, error) {
	switch {
	case s == "?":
		return dowSpec{any: true}, nil
	case s == "L":
		// "L in the Day-of-week field specifies the last day of the week":
		// Saturday, 7.
		var b bits
		b.add(7 - fDOW.min)
		return dowSpec{kind: dowSet, set: b}, nil
	case strings.Contains(s, "?"):
		return dowSpec{}, fmt.Errorf("%s %q: \"?\" must stand alone in its field", fDOW.name, s)
	case strings.Contains(s, "#"):
		if strings.Count(s, "#") > 1 || strings.Contains(s, ",") {
			return dowSpec{}, fmt.Errorf("%s %q: only one # expression is allowed in the field", fDOW.name, s)
		}
		day, nth, _ := strings.Cut(s, "#")
		d, err := fDOW.value(day, s)
		if err != nil {
			return dowSpec{}, err
		}
		n, err := strconv.Atoi(nth)
		if err != nil || !isDigits(nth) || n < 1 || n > 5 {
			return dowSpec{}, fmt.Errorf("%s %q: the week after # must be 1-5", fDOW.name, s)
		}
		return dowSpec{kind: dowNth, d: d, n: n}, nil
	case strings.Contains(s, "L"): // no weekday name has an L
		if err := alone(fDOW, s, "L"); err != nil {
			return dowSpec{}, err
		}
		day, ok := strings.CutSuffix(s, "L")
		if !ok || strings.ContainsAny(day, "-/*") {
			return dowSpec{}, fmt.Errorf("%s %q: L follows a single weekday, as in 6L (the last Friday)", fDOW.name, s)
		}
		d, err := fDOW.value(day, s)
		if err != nil {
			return dowSpec{}, err
		}
		return dowSpec{kind: dowLast, d: d}, nil
	case strings.Contains(s, "W"):
		return dowSpec{}, fmt.Errorf("%s %q: W belongs to day-of-month", fDOW.name, s)
	}
	set, err := fDOW.parse(s)
	if err != nil {
		return dowSpec{}, err
	}
	return dowSpec{kind: dowSet, set: set}, nil
}

// days returns the days (bit d-1 for day d) of month m of year y that the
// day fields pick. A day the month does not have (the 31st in April, a
// fifth Monday, 31W in a 30-day month) picks nothing that month.
func (c *cron) days(y int, m time.Month) bits {
	last := daysIn(y, m)
	first := int(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()) // 0 = Sunday
	weekday := func(d int) int { return (first + d - 1) % 7 }
	var b bits
	if c.dow.any {
		switch c.dom.kind {
		case domSet:
			for d := 1; d <= last; d++ {
				if c.dom.set.has(d - 1) {
					b.add(d - 1)
				}
			}
		case domLast:
			b.add(last - 1)
		case domWeekday:
			if d := nearestWeekday(c.dom.n, last, weekday); d > 0 {
				b.add(d - 1)
			}
		}
		return b
	}
	switch c.dow.kind {
	case dowSet:
		for d := 1; d <= last; d++ {
			if c.dow.set.has(weekday(d)) {
				b.add(d - 1)
			}
		}
	case dowLast:
		want := c.dow.d - 1
		d := last - (weekday(last)-want+7)%7
		b.add(d - 1)
	case dowNth:
		want := c.dow.d - 1
		d := 1 + (want-first+7)%7 + 7*(c.dow.n-1)
		if d <= last {
			b.add(d - 1)
		}
	}
	return b
}

// nearestWeekday is the weekday (Monday to Friday) nearest to day n in a
// month of last days, without leaving the month, as Quartz's W: a Saturday
// moves to Friday (to Monday the 3rd when n is the 1st), a Sunday to Monday
// (to the Friday before when n is the last day). Zero when the month has
// no day n.
func nearestWeekday(n, last int, weekday func(int) int) int {
	if n > last {
		return 0
	}
	switch weekday(n) {
	case 6: // Saturday
		if n == 1 {
			return 3
		}
		return n - 1
	case 0: // Sunday
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// next is the first tick strictly after after on loc's wall clock (see
// Expression.Next for the daylight-saving rule). Wall times map to
// instants in increasing order once a repeated hour keeps only its first
// occurrence, so the walk starts at after's own wall time and returns the
// first candidate later than after.
func (c *cron) next(after time.Time, loc *time.Location) time.Time {
	a := after.In(loc)
	ay, am, ad := a.Date()
	ah, amin := a.Hour(), a.Minute()
	if ay < fYear.min {
		ay, am, ad, ah, amin = fYear.min, 1, 1, 0, 0
	}
	for y := ay; y <= fYear.max; y++ {
		if !c.years.has(y - fYear.min) {
			continue
		}
		firstY := y == ay
		for m := time.January; m <= time.December; m++ {
			if !c.months.has(int(m)-fMonth.min) || firstY && m < am {
				continue
			}
			firstM := firstY && m == am
			days := c.days(y, m)
			for d := 1; d <= 31; d++ {
				if !days.has(d-1) || firstM && d < ad {
					continue
				}
				firstD := firstM && d == ad
				for h := 0; h < 24; h++ {
					if !c.hours.has(h) || firstD && h < ah {
						continue
					}
					firstH := firstD && h == ah
					for mi := 0; mi < 60; mi++ {
						if !c.minutes.has(mi) || firstH && mi < amin {
							continue
						}
						if t, ok := firstInstant(y, m, d, h, mi, loc); ok && t.After(after) {
							return t
						}
					}
				}
			}
		}
	}
	return time.Time{}
}

// firstInstant is the first instant at which loc's clock reads the wall
// time, or false when the clock skips it (a spring-forward gap). The
// offsets tried are those in force two days either side and at the wall
// time itself, which covers any single transition.
func firstInstant(y int, m time.Month, d, h, mi int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(y, m, d, h, mi, 0, 0, time.UTC).Unix()
	const twoDays = 2 * 24 * 60 * 60
	var best int64
	found := false
	for _, probe := range [...]int64{wall - twoDays, wall, wall + twoDays} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		u := wall - int64(off)
		if _, got := time.Unix(u, 0).In(loc).Zone(); got != off {
			continue // at u the clock is on another offset: it never reads wall this way
		}
		if !found || u < best {
			best, found = u, true
		}
	}
	if !found {
		return time.Time{}, false
	}
	return time.Unix(best, 0).In(loc), true
}
