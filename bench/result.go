package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one run measured. Latencies are in microseconds.
type Result struct {
	Name       string           `json:"name,omitempty"`
	Mode       string           `json:"mode"` // "closed" or "open"
	Rate       float64          `json:"rate,omitempty"`
	Duration   time.Duration    `json:"duration_ns"`
	Requests   int64            `json:"requests"`
	Throughput float64          `json:"requests_per_second"`
	Bytes      int64            `json:"bytes"`
	Latency    Percentiles      `json:"latency_us"`
	Status     map[string]int64 `json:"status"`
	Errors     map[string]int64 `json:"errors"`
	// ErrorCount is transport errors plus non-2xx/3xx answers.
	ErrorCount int64   `json:"error_count"`
	Timeline   []int64 `json:"timeline_per_second"`
	// Spectrum is the latency percentile distribution for plots.
	Spectrum []SpectrumPoint `json:"spectrum"`
	// Cost is what the row would have cost on AWS Lambda, for rows
	// against a route backed by a local function; nil otherwise.
	Cost *Cost `json:"cost,omitempty"`
	// CPU is what each target serving the row used in its measured
	// window (scenarios with targets in child processes only).
	CPU []ProcessCPU `json:"cpu,omitempty"`

	hist *hdrhistogram.Histogram
}

// Percentiles of the latency distribution, in microseconds.
type Percentiles struct {
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p99.9"`
	Max  int64   `json:"max"`
	Mean float64 `json:"mean"`
}

// SpectrumPoint is one point of the percentile plot.
type SpectrumPoint struct {
	Percentile float64 `json:"percentile"`
	Micros     int64   `json:"us"`
}

func newResult(r *recorder, elapsed time.Duration, o *Options) *Result {
	res := &Result{
		Mode:     "closed",
		Rate:     o.Rate,
		Duration: elapsed,
		Requests: r.done,
		Bytes:    r.bytes,
		Status:   map[string]int64{},
		Errors:   map[string]int64{},
		Timeline: r.timeline,
		hist:     r.hist,
	}
	// Keep whole seconds only: the last, partial one would read as a drop.
	if whole := int(elapsed / time.Second); whole > 0 && len(res.Timeline) > whole {
		res.Timeline = res.Timeline[:whole]
	}
	if o.Rate > 0 {
		res.Mode = "open"
	}
	if elapsed > 0 {
		res.Throughput = float64(r.done) / elapsed.Seconds()
	}
	h := r.hist
	res.Latency = Percentiles{
		P50: h.ValueAtPercentile(50), P90: h.ValueAtPercentile(90), P99: h.ValueAtPercentile(99),
		P999: h.ValueAtPercentile(99.9), Max: h.Max(), Mean: h.Mean(),
	}
	for _, p := range []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100} {
		res.Spectrum = append(res.Spectrum, SpectrumPoint{Percentile: p, Micros: h.ValueAtPercentile(p)})
	}
	for code, n := range r.status {
		res.Status[fmt.Sprint(code)] = n
		if code < 200 || code >= 400 {
			res.ErrorCount += n
		}
	}
	for kind, n := range r.errors {
		res.Errors[kind] = n
		res.ErrorCount += n
	}
	return res
}

// fmtMicros prints a latency with a unit that fits it.
func fmtMicros(us int64) string {
	switch {
	case us >= 1_000_000:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	case us >= 1000:
		return fmt.Sprintf("%.2fms", float64(us)/1e3)
	}
	return fmt.Sprintf("%dµs", us)
}

// WriteTable writes results as an aligned text table.
func WriteTable(w io.Writer, results []*Result) {
	rows := [][]string{{"", "req/s", "p50", "p90", "p99", "p99.9", "max", "requests", "errors"}}
	withCPU := false
	for _, r := range results {
		withCPU = withCPU || len(r.CPU) > 0
	}
	if withCPU {
		rows[0] = append(rows[0], "cpu/req", "cpu by process")
	}
	for _, r := range results {
		row := []string{
			r.Name, fmt.Sprintf("%.0f", r.Throughput), fmtMicros(r.Latency.P50), fmtMicros(r.Latency.P90),
			fmtMicros(r.Latency.P99), fmtMicros(r.Latency.P999), fmtMicros(r.Latency.Max),
			fmt.Sprint(r.Requests), errorSummary(r),
		}
		if withCPU {
			row = append(row, cpuTotal(r.CPU), cpuBreakdown(r.CPU))
		}
		rows = append(rows, row)
	}
	writeAligned(w, rows)
	writeCostTable(w, results)
}

// writeAligned writes rows as columns: the first left-aligned, the others
// right-aligned.
func writeAligned(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := widths[i] - len([]rune(c))
			if i == 0 {
				b.WriteString(c + strings.Repeat(" ", pad))
			} else {
				b.WriteString("  " + strings.Repeat(" ", pad) + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// errorSummary is "0", or the count with its breakdown.
func errorSummary(r *Result) string {
	if r.ErrorCount == 0 {
		return "0"
	}
	var parts []string
	for code, n := range r.Status {
		if code < "200" || code >= "400" {
			parts = append(parts, fmt.Sprintf("%s×%d", code, n))
		}
	}
	for kind, n := range r.Errors {
		parts = append(parts, fmt.Sprintf("%s×%d", kind, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", r.ErrorCount, strings.Join(parts, ", "))
}

// cpuTotal is the CPU all of a row's targets used per request, "" when
// it was not measured.
func cpuTotal(cpu []ProcessCPU) string {
	if len(cpu) == 0 {
		return ""
	}
	var us float64
	for _, p := range cpu {
		us += p.PerRequest
	}
	return fmt.Sprintf("%.1fµs", us)
}

// cpuBreakdown is each target's CPU per request and the cores it kept
// busy: "gateway 31.2µs 0.98c, function server 12.0µs 0.37c".
func cpuBreakdown(cpu []ProcessCPU) string {
	parts := make([]string, len(cpu))
	for i, p := range cpu {
		parts[i] = fmt.Sprintf("%s %.1fµs %.2fc", p.Process, p.PerRequest, p.Cores)
	}
	return strings.Join(parts, ", ")
}
