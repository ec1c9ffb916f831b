package eventsource

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// stats are one source's counters and gauges, kept as atomics by its
// pollers and read at each scrape.
type stats struct {
	received, deleted, failed, deadLettered, batches, pollErrors atomic.Int64
	inFlight, lag                                                atomic.Int64
}

// collector exports the stats of the manager's current sources.
type collector struct {
	m *Manager

	received, deleted, failed, deadLettered, batches, pollErrors *prometheus.Desc
	inFlight, lag, pollers                                       *prometheus.Desc
}

var sourceLabels = []string{"function", "type", "source"}

func newCollector(m *Manager) *collector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("portico_eventsource_"+name, help, sourceLabels, nil)
	}
	return &collector{
		m:            m,
		received:     d("messages_received_total", "Messages received from the queue or stream, redeliveries included."),
		deleted:      d("messages_deleted_total", "Messages deleted (SQS) or acknowledged (Redis) after the function handled them."),
		failed:       d("messages_failed_total", "Messages left for redelivery: their batch failed, the function reported them, or they were too large (SQS)."),
		deadLettered: d("messages_dead_lettered_total", "Redis entries moved to the dead-letter stream: received maxReceiveCount times, or too large."),
		batches:      d("batches_total", "Invocations with a batch."),
		pollErrors:   d("poll_errors_total", "Failed calls to the queue or stream (open, receive, delete), each followed by a backoff."),
		inFlight:     d("batches_in_flight", "Invocations with a batch now running."),
		lag:          d("lag_messages", "Messages waiting: ApproximateNumberOfMessages for SQS, pending plus undelivered entries of the group for Redis; read every 10s."),
		pollers:      d("pollers", "Pollers now running."),
	}
}

// Collector returns the metrics of the manager's sources, for the
// registry of /metrics. A scrape does no I/O: the lag is the last value
// read.
func (m *Manager) Collector() prometheus.Collector { return m.col }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.received, c.deleted, c.failed, c.deadLettered, c.batches, c.pollErrors, c.inFlight, c.lag, c.pollers} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.m.current() {
		l := []string{s.cfg.Function, s.cfg.Type, s.name}
		counter := func(d *prometheus.Desc, v *atomic.Int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.Load()), l...)
		}
		counter(c.received, &s.st.received)
		counter(c.deleted, &s.st.deleted)
		counter(c.failed, &s.st.failed)
		counter(c.deadLettered, &s.st.deadLettered)
		counter(c.batches, &s.st.batches)
		counter(c.pollErrors, &s.st.pollErrors)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(s.st.inFlight.Load()), l...)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(s.st.lag.Load()), l...)
		ch <- prometheus.MustNewConstMetric(c.pollers, prometheus.GaugeValue, float64(s.pollers.Load()), l...)
	}
}
