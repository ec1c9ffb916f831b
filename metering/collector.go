package metering

import "github.com/prometheus/client_golang/prometheus"

// Collector exports the meters of the functions meters returns (called
// at each scrape) as Prometheus metrics labelled by function:
//
//	portico_function_invocations_total          invocations metered
//	portico_function_billed_duration_seconds    histogram of billed durations; _sum is the total
//	portico_function_gb_seconds_total           compute billed, GB-seconds
//	portico_function_cost_dollars_total         what the invocations would cost on Lambda, USD
//	portico_function_max_memory_used_bytes      peak memory of the function's environments
//	portico_function_memory_size_bytes          the memory setting
//	portico_function_init_duration_seconds      histogram of init durations (cold starts)
//
// It is unchecked (its Describe sends nothing), since the functions
// change with each reload.
func Collector(meters func() []*Meter) prometheus.Collector { return collector{meters} }

type collector struct{ meters func() []*Meter }

var (
	invocationsDesc = prometheus.NewDesc("portico_function_invocations_total", "Invocations of local functions, metered as Lambda bills them.", []string{"function"}, nil)
	gbSecondsDesc   = prometheus.NewDesc("portico_function_gb_seconds_total", "Compute billed to local functions: memory in GB (1024 MB) times billed seconds.", []string{"function"}, nil)
	costDesc        = prometheus.NewDesc("portico_function_cost_dollars_total", "What local functions' invocations would cost on AWS Lambda, in USD, at billing: prices (requests and compute).", []string{"function"}, nil)
	maxMemoryDesc   = prometheus.NewDesc("portico_function_max_memory_used_bytes", "Highest peak memory of any environment (instance) of the function.", []string{"function"}, nil)
	memorySizeDesc  = prometheus.NewDesc("portico_function_memory_size_bytes", "The function's memory setting.", []string{"function"}, nil)
)

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.meters() {
		t := m.Totals()
		ch <- prometheus.MustNewConstMetric(invocationsDesc, prometheus.CounterValue, float64(t.Invocations), t.Function)
		ch <- prometheus.MustNewConstMetric(gbSecondsDesc, prometheus.CounterValue, t.GBSeconds, t.Function)
		ch <- prometheus.MustNewConstMetric(costDesc, prometheus.CounterValue, t.Cost, t.Function)
		ch <- prometheus.MustNewConstMetric(maxMemoryDesc, prometheus.GaugeValue, float64(t.MaxMemoryUsed), t.Function)
		ch <- prometheus.MustNewConstMetric(memorySizeDesc, prometheus.GaugeValue, float64(t.MemoryMB)*MiB, t.Function)
		m.billedHist.Collect(ch)
		m.initHist.Collect(ch)
	}
}
