package invokeapi

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Invoke API's Prometheus metrics, exported through
// Server.Collector.
type metrics struct {
	invocations  *prometheus.CounterVec
	authFailures *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_invokeapi_invocations_total",
			Help: "Invoke API calls by function, invocation type and outcome: success, function_error, or the exception that refused the call.",
		}, []string{"function", "type", "outcome"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_invokeapi_auth_failures_total",
			Help: "Invoke API requests refused by authentication, by exception.",
		}, []string{"reason"}),
	}
}

// invocation records one Invoke. function is empty when the call named no
// function of the config: the label takes only configured names, so a
// client cannot grow the series without bound.
func (m *metrics) invocation(function, typ string, functionError bool, err *Error) {
	outcome := "success"
	switch {
	case err != nil:
		outcome = err.Type
	case functionError:
		outcome = "function_error"
	}
	switch typ {
	case "", RequestResponse, Event, DryRun:
	default:
		typ = "invalid"
	}
	m.invocations.WithLabelValues(function, typ, outcome).Inc()
}

// refused records an Invoke refused before it could be read as one (a
// body over the limit).
func (m *metrics) refused(function, typ string, err *Error) {
	m.invocation(function, typ, false, err)
}

func (m *metrics) authFailure(reason string) { m.authFailures.WithLabelValues(reason).Inc() }

// Collector returns the Invoke API's metrics, for the registry the admin
// listener serves: portico_invokeapi_invocations_total{function,type,outcome}
// and portico_invokeapi_auth_failures_total{reason}.
func (s *Server) Collector() prometheus.Collector { return s.metrics }

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.invocations.Describe(ch)
	m.authFailures.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.invocations.Collect(ch)
	m.authFailures.Collect(ch)
}
