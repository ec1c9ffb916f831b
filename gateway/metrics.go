package gateway

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/ratelimit"
)

// metrics are the gateway's Prometheus metrics, served on the admin
// listener at /metrics. Each route's counters are resolved when the route
// is built, so recording a request does no label lookups.
type metrics struct {
	registry      *prometheus.Registry
	routes        *prometheus.Registry // the per-route series alone, for the admin page
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	backendErrors *prometheus.CounterVec
	unmatched     prometheus.Counter
}

// routeMetrics are one route's resolved series.
type routeMetrics struct {
	byClass [6]prometheus.Counter // 1xx … 5xx by status/100
	latency prometheus.Observer
	errors  map[string]prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_requests_total", Help: "Requests by route and status class.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portico_request_duration_seconds", Help: "Time from request to response, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14), // 100µs … ~15s
		}, []string{"route"}),
		backendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_invocation_errors_total", Help: "Failed invocations by route and kind.",
		}, []string{"route", "kind"}),
		unmatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_unmatched_requests_total", Help: "Requests that matched no route.",
		}),
	}
	m.routes = prometheus.NewRegistry()
	m.routes.MustRegister(m.requests, m.latency, m.backendErrors)
	m.registry.MustRegister(m.requests, m.latency, m.backendErrors, m.unmatched,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// errorKinds are the values of the kind label.
var errorKinds = []string{"function", "malformed", "timeout", "throttled", "unavailable", "too large", "rejected", "auth"}

func (m *metrics) forRoute(key string) routeMetrics {
	rm := routeMetrics{latency: m.latency.WithLabelValues(key), errors: map[string]prometheus.Counter{}}
	for i := 1; i < len(rm.byClass); i++ {
		rm.byClass[i] = m.requests.WithLabelValues(key, string(rune('0'+i))+"xx")
	}
	for _, k := range errorKinds {
		rm.errors[k] = m.backendErrors.WithLabelValues(key, k)
	}
	return rm
}

// observe records one request of the route.
func (rm *routeMetrics) observe(status int, took time.Duration, err error) {
	if c := status / 100; c >= 1 && c < len(rm.byClass) {
		rm.byClass[c].Inc()
	}
	rm.latency.Observe(took.Seconds())
	if err != nil {
		rm.errors[errorKind(err)].Inc()
	}
}

// errorKind names an invocation error for the kind label.
func errorKind(err error) string {
	var ie *backend.InvokeError
	var fe *backend.FunctionError
	switch {
	case errors.Is(err, errThrottled), errors.Is(err, ratelimit.ErrConcurrencyLimit):
		return "throttled"
	case errors.As(err, new(*auth.Error)):
		return "auth" // refused or failed by the authorizer
	case errors.As(err, &ie):
		return ie.Kind.String()
	case errors.As(err, &fe):
		return "function"
	}
	return "malformed"
}

// watchInstances exports the instance counts of invokers that run
// instances (the process backend).
func (m *metrics) watchInstances(function string, inv backend.Invoker) {
	s, ok := inv.(interface{ Stats() (running, idle int) })
	if !ok {
		return
	}
	labels := prometheus.Labels{"function": function}
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_instances_running", Help: "Instances running or starting.", ConstLabels: labels},
			func() float64 { r, _ := s.Stats(); return float64(r) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_instances_idle", Help: "Instances idle and warm.", ConstLabels: labels},
			func() float64 { _, i := s.Stats(); return float64(i) }),
	)
}

// watchAuth exports the authorizers' counters (rejections by kind, cache
// hits, JWKS fetches) as portico_auth_total{event}, read at each scrape.
func (m *metrics) watchAuth(set *auth.Set) {
	m.registry.MustRegister(authCollector{set: set,
		desc: prometheus.NewDesc("portico_auth_total", "Authorizer events: allowed, rejections by kind, cache hits, JWKS fetches.", []string{"event"}, nil)})
}

type authCollector struct {
	set  *auth.Set
	desc *prometheus.Desc
}

func (c authCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c authCollector) Collect(ch chan<- prometheus.Metric) {
	for event, n := range c.set.Stats() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), event)
	}
}

func (m *metrics) handler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}
