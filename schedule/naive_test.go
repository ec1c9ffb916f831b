package schedule

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNextAgainstNaive compares Next with an evaluator that walks every
// minute of a year on the zone's clock, for random expressions in
// zones with unusual daylight saving: the evaluator reads each minute's
// wall time, matches it field by field, and keeps a repeated wall time's
// first occurrence only.
func TestNextAgainstNaive(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every minute of a year per expression")
	}
	zones := []string{"UTC", "America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Pacific/Apia",
		"Antarctica/Troll", "Africa/Casablanca", "America/Santiago", "Pacific/Chatham", "Europe/Dublin", "Asia/Kathmandu"}
	rng := rand.New(rand.NewPCG(13, 13))
	const exprs = 16
	total := 0
	for i := range exprs {
		expr := randomCron(rng)
		zone := zones[i%len(zones)]
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Parse(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		start := time.Date(2009+rng.IntN(20), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.UTC)
		end := start.AddDate(1, 0, 0)
		want := naiveTicks(t, expr, start, end, loc)
		total += len(want)
		var got []time.Time
		for at := start; ; {
			at = e.Next(at, loc)
			if at.IsZero() || !at.Before(end) {
				break
			}
			got = append(got, at)
			if len(got) > len(want)+1 {
				break
			}
		}
		for k := 0; k < max(len(got), len(want)); k++ {
			var g, w time.Time
			if k < len(got) {
				g = got[k]
			}
			if k < len(want) {
				w = want[k]
			}
			if !g.Equal(w) {
				t.Errorf("%s in %s from %v: tick %d: Next gives %v, the minute walk %v", expr, zone, start, k, g, w)
				break
			}
		}
	}
	t.Logf("%d ticks compared", total)
}

// naiveTicks walks every minute from start to end.
func naiveTicks(t *testing.T, expr string, start, end time.Time, loc *time.Location) []time.Time {
	fs := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
	seen := map[string]bool{}
	var order []string
	var ticks []time.Time
	for u := start.Truncate(time.Minute).Add(time.Minute); u.Before(end); u = u.Add(time.Minute) {
		w := u.In(loc)
		if w.Second() != 0 || !naiveMatch(t, fs, w) {
			continue
		}
		key := w.Format("2006-01-02 15:04")
		if seen[key] {
			continue // a repeated wall time ticks at its first occurrence
		}
		seen[key] = true
		order = append(order, key)
		if len(order) > 2000 {
			delete(seen, order[0])
			order = order[1:]
		}
		ticks = append(ticks, u)
	}
	return ticks
}

func naiveMatch(t *testing.T, fs []string, w time.Time) bool {
	y, m, d := w.Date()
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(w.Weekday()) + 1 // 1 = Sunday
	if !naiveIn(t, fs[0], w.Minute(), 0, 59) || !naiveIn(t, fs[1], w.Hour(), 0, 23) ||
		!naiveIn(t, fs[3], int(m), 1, 12) || !naiveIn(t, fs[5], y, 1970, 2199) {
		return false
	}
	switch dom := fs[2]; {
	case dom == "?":
	case dom == "L":
		if d != last {
			return false
		}
	case strings.HasSuffix(dom, "W"):
		n, _ := strconv.Atoi(strings.TrimSuffix(dom, "W"))
		if n > last {
			return false
		}
		target := n
		switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
		case time.Saturday:
			if n == 1 {
				target = 3
			} else {
				target = n - 1
			}
		case time.Sunday:
			if n == last {
				target = n - 2
			} else {
				target = n + 1
			}
		}
		if d != target {
			return false
		}
	default:
		if !naiveIn(t, dom, d, 1, 31) {
			return false
		}
	}
	switch dow := fs[4]; {
	case dow == "?":
	case dow == "L":
		return wd == 7
	case strings.Contains(dow, "#"):
		a, b, _ := strings.Cut(dow, "#")
		dd, _ := strconv.Atoi(a)
		n, _ := strconv.Atoi(b)
		return wd == dd && (d-1)/7+1 == n
	case strings.HasSuffix(dow, "L"):
		dd, _ := strconv.Atoi(strings.TrimSuffix(dow, "L"))
		return wd == dd && d+7 > last
	default:
		return naiveIn(t, dow, wd, 1, 7)
	}
	return true
}

// naiveIn reports whether v is in a field of numbers, ranges (wrapping
// past max) and steps.
func naiveIn(t *testing.T, s string, v, lo, hi int) bool {
	for item := range strings.SplitSeq(s, ",") {
		r, st, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			step, _ = strconv.Atoi(st)
		}
		a, z := lo, hi
		switch {
		case r == "*":
		case strings.Contains(r, "-"):
			x, y, _ := strings.Cut(r, "-")
			a, _ = strconv.Atoi(x)
			z, _ = strconv.Atoi(y)
		default:
			a, _ = strconv.Atoi(r)
			if !hasStep {
				z = a
			}
		}
		// A wrapping range (hours 22-2) runs to the maximum and on from
		// the minimum, its steps counted across the wrap.
		var vals []int
		if a <= z {
			for x := a; x <= z; x += step {
				vals = append(vals, x)
			}
		} else {
			for x := a; x <= z+hi-lo+1; x += step {
				vals = append(vals, x)
			}
		}
		for _, x := range vals {
			if x > hi {
				x -= hi - lo + 1
			}
			if x == v {
				return true
			}
		}
	}
	return false
}

// randomCron writes a random cron() of the documented syntax, each field
// numeric.
func randomCron(rng *rand.Rand) string {
	num := func(lo, hi int) string {
		switch rng.IntN(6) {
		case 0:
			return "*"
		case 1:
			return fmt.Sprintf("%d/%d", lo+rng.IntN(hi-lo+1), 1+rng.IntN(hi-lo+1))
		case 2:
			return fmt.Sprintf("%d-%d", lo+rng.IntN(hi-lo+1), lo+rng.IntN(hi-lo+1))
		case 3:
			return fmt.Sprintf("%d,%d", lo+rng.IntN(hi-lo+1), lo+rng.IntN(hi-lo+1))
		case 4:
			return fmt.Sprintf("%d-%d/%d", lo+rng.IntN(hi-lo+1), lo+rng.IntN(hi-lo+1), 1+rng.IntN(4))
		}
		return strconv.Itoa(lo + rng.IntN(hi-lo+1))
	}
	minutes := num(0, 59)
	hours := num(0, 23)
	months := "*"
	if rng.IntN(3) == 0 {
		months = num(1, 12)
	}
	dom, dow := "?", "?"
	if rng.IntN(2) == 0 {
		switch rng.IntN(4) {
		case 0:
			dom = "L"
		case 1:
			dom = fmt.Sprintf("%dW", 1+rng.IntN(31))
		default:
			dom = num(1, 31)
		}
	} else {
		switch rng.IntN(4) {
		case 0:
			dow = fmt.Sprintf("%dL", 1+rng.IntN(7))
		case 1:
			dow = fmt.Sprintf("%d#%d", 1+rng.IntN(7), 1+rng.IntN(5))
		default:
			dow = num(1, 7)
		}
	}
	// Many ticks keep the walk and the comparison short: a dense minute
	// and hour field most of the time.
	if rng.IntN(3) > 0 {
		hours = "*"
	}
	return fmt.Sprintf("cron(%s %s %s %s %s *)", minutes, hours, dom, months, dow)
}
