package async

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the queue's Prometheus metrics (Queue.Collector).
type metrics struct {
	q            *Queue
	invocations  *prometheus.CounterVec
	retries      *prometheus.CounterVec
	destinations *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	storeErrors  *prometheus.CounterVec
	depth        *prometheus.Desc
	oldest       *prometheus.Desc
}

// scrapeTimeout bounds the store read of a scrape.
const scrapeTimeout = time.Second

func newMetrics(q *Queue) *metrics {
	return &metrics{
		q: q,
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_async_invocations_total",
			Help: "Asynchronous events taken, by function and outcome (success, function_error, throttled, system_error, rejected, expired: too old to invoke).",
		}, []string{"function", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_async_retries_total",
			Help: "Asynchronous events stored again for a later attempt, by function and reason (function_error, throttled, system_error).",
		}, []string{"function", "reason"}),
		destinations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_async_destination_records_total",
			Help: "Invocation records sent to a destination function, by source function and condition.",
		}, []string{"function", "condition"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_async_dropped_total",
			Help: "Asynchronous events dropped without an onFailure destination, by function and condition.",
		}, []string{"function", "condition"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_async_store_errors_total",
			Help: "Failed operations on the async store (take, promote, retry, ack).",
		}, []string{"op"}),
		depth: prometheus.NewDesc("portico_async_queue_depth",
			"Asynchronous events not yet delivered (waiting, running, or waiting to retry), by function.", []string{"function"}, nil),
		oldest: prometheus.NewDesc("portico_async_oldest_event_age_seconds",
			"Age of the oldest undelivered asynchronous event, by function.", []string{"function"}, nil),
	}
}

// Collector returns the queue's metrics, for the registry of /metrics. The
// gauges read the store at each scrape (at most a second; a failed read
// leaves them out of that scrape).
func (q *Queue) Collector() prometheus.Collector { return q.m }

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.invocations.Describe(ch)
	m.retries.Describe(ch)
	m.destinations.Describe(ch)
	m.dropped.Describe(ch)
	m.storeErrors.Describe(ch)
	ch <- m.depth
	ch <- m.oldest
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.invocations.Collect(ch)
	m.retries.Collect(ch)
	m.destinations.Collect(ch)
	m.dropped.Collect(ch)
	m.storeErrors.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	stats, err := m.q.Stats(ctx)
	if err != nil {
		m.storeErrors.WithLabelValues("stats").Inc()
		return
	}
	for name, s := range stats {
		ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(s.Depth), name)
		ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, s.OldestAge.Seconds(), name)
	}
}
