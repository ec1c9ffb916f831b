package schedule

import "github.com/prometheus/client_golang/prometheus"

// Reasons a tick is skipped, the `reason` label of
// portico_schedule_skips_total.
const (
	// SkipHeld: another replica took the tick's lock and fired it.
	SkipHeld = "held"
	// SkipMissed: the tick came due while this replica did not run (or
	// woke more than a grace period late); it is not fired late.
	SkipMissed = "missed"
	// SkipLockError: the lock could not be asked (Redis down or slow);
	// the tick is skipped rather than risk firing it twice.
	SkipLockError = "lock_error"
)

// metrics are the Scheduler's Prometheus metrics (Scheduler.Collector).
type metrics struct {
	fires    *prometheus.CounterVec
	skips    *prometheus.CounterVec
	failures *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_schedule_fires_total",
			Help: "Ticks this replica fired (the function's event accepted by the async queue), by schedule.",
		}, []string{"schedule"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_schedule_skips_total",
			Help: "Ticks this replica did not fire, by schedule and reason (held: fired by another replica; missed: came due while not running; lock_error: the lock store did not answer).",
		}, []string{"schedule", "reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_schedule_failures_total",
			Help: "Ticks whose lock this replica took but whose event the async queue did not accept, by schedule.",
		}, []string{"schedule"}),
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.fires.Describe(ch)
	m.skips.Describe(ch)
	m.failures.Describe(ch)
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.fires.Collect(ch)
	m.skips.Collect(ch)
	m.failures.Collect(ch)
}
