package platform

import (
	"maps"
	"slices"

	"github.com/portico/portico/metering"
)

// metered is an invoker that meters its invocations as Lambda bills them
// (the process backend).
type metered interface{ Meter() *metering.Meter }

// meters are the meters of p's metered functions, by function name.
func (p *Platform) meters() []*metering.Meter {
	var out []*metering.Meter
	for _, name := range slices.Sorted(maps.Keys(p.functions)) {
		if m, ok := p.functions[name].invoker.(metered); ok {
			out = append(out, m.Meter())
		}
	}
	return out
}

// Usage is each local function's running totals, sorted by function: its
// invocations, billed duration, GB-seconds, peak memory, cold starts and
// what they would have cost on Lambda at the config's billing: prices.
// The totals of a function run from when it was built: a reload that
// keeps the function keeps them, one that changes it (or billing:)
// starts them again. Safe for concurrent use; for the admin page.
func (p *Platform) Usage() []metering.Totals {
	ms := p.meters()
	out := make([]metering.Totals, len(ms))
	for i, m := range ms {
		out[i] = m.Totals()
	}
	return out
}
