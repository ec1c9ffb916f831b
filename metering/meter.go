package metering

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Meter keeps one function's running totals: invocations, billed
// duration, compute (GB-seconds), the peak memory of its environments,
// init durations, and what they would cost on Lambda. Build it with
// NewMeter; it is safe for concurrent use.
type Meter struct {
	function string
	memoryMB int
	cfg      Config

	invocations atomic.Int64
	billed      atomic.Int64 // ns
	inits       atomic.Int64
	initTotal   atomic.Int64 // ns
	maxMemory   atomic.Int64 // bytes

	billedHist prometheus.Histogram
	initHist   prometheus.Histogram
}

// Buckets of the duration histograms, in seconds: from Lambda's 1 ms
// granule to its 900 s limit.
var (
	billedBuckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300, 900}
	initBuckets   = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// NewMeter returns the meter of function, whose memory setting is
// memoryMB, billed as cfg says (defaults filled in for what it leaves
// out).
func NewMeter(function string, memoryMB int, cfg Config) *Meter {
	cfg.SetDefaults()
	labels := prometheus.Labels{"function": function}
	return &Meter{
		function: function,
		memoryMB: memoryMB,
		cfg:      cfg,
		billedHist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "portico_function_billed_duration_seconds", ConstLabels: labels, Buckets: billedBuckets,
			Help: "Billed duration of local functions' invocations (init included on a cold start, rounded up to billing.granularity); _sum is the total.",
		}),
		initHist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "portico_function_init_duration_seconds", ConstLabels: labels, Buckets: initBuckets,
			Help: "Init duration of local functions' environments, from process start to the runtime's first GET /next.",
		}),
	}
}

// Function is the name of the metered function.
func (m *Meter) Function() string { return m.function }

// Config is the billing the meter applies, defaults filled in.
func (m *Meter) Config() Config { return m.cfg }

// Record adds one invocation that ran duration, after an init of init on
// a cold start (zero otherwise), in an environment whose peak memory so
// far is maxMemory bytes (zero when unknown), and returns its figures for
// the REPORT line. It does not allocate.
func (m *Meter) Record(duration, init time.Duration, maxMemory int64) Report {
	// Lambda bills the init phase of on-demand functions with the
	// invocation it started, in one rounded figure (since 1 August 2025
	// for managed runtimes too; custom runtimes always were).
	r := Report{Duration: duration, Init: init, Billed: m.cfg.Billed(duration + init), MemoryMB: m.memoryMB, MaxMemoryUsed: maxMemory}
	m.invocations.Add(1)
	m.billed.Add(int64(r.Billed))
	m.billedHist.Observe(r.Billed.Seconds())
	if init > 0 {
		m.inits.Add(1)
		m.initTotal.Add(int64(init))
		m.initHist.Observe(init.Seconds())
	}
	for {
		old := m.maxMemory.Load()
		if maxMemory <= old || m.maxMemory.CompareAndSwap(old, maxMemory) {
			break
		}
	}
	return r
}

// Totals are a function's figures since its meter was built.
type Totals struct {
	Function string `json:"function"`
	// MemoryMB is the function's memory setting.
	MemoryMB    int   `json:"memory_mb"`
	Invocations int64 `json:"invocations"`
	// BilledDuration is the sum of the invocations' billed durations.
	BilledDuration time.Duration `json:"billed_duration_ns"`
	// GBSeconds is the compute billed: MemoryMB/1024 × billed seconds.
	GBSeconds float64 `json:"gb_seconds"`
	// MaxMemoryUsed is the highest peak of any of its environments, in
	// bytes; zero when unknown.
	MaxMemoryUsed int64 `json:"max_memory_used_bytes"`
	// Inits counts cold starts, InitDuration sums their init durations.
	Inits        int64         `json:"inits"`
	InitDuration time.Duration `json:"init_duration_ns"`
	// Cost is what the invocations would have cost on Lambda, in USD, at
	// the meter's prices.
	Cost float64 `json:"cost_usd"`
}

// Totals returns the figures so far. The counters are read one by one,
// so an invocation recorded meanwhile may show in some and not others.
func (m *Meter) Totals() Totals {
	t := Totals{
		Function:       m.function,
		MemoryMB:       m.memoryMB,
		Invocations:    m.invocations.Load(),
		BilledDuration: time.Duration(m.billed.Load()),
		MaxMemoryUsed:  m.maxMemory.Load(),
		Inits:          m.inits.Load(),
		InitDuration:   time.Duration(m.initTotal.Load()),
	}
	t.GBSeconds = GBSeconds(m.memoryMB, t.BilledDuration)
	t.Cost = m.cfg.Cost(t.Invocations, t.GBSeconds)
	return t
}
