package bench

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/metering"
)

// Cost is what a row's load against a route backed by a local function
// would have cost on AWS Lambda, from the gateway's own meter of the
// function (portico_function_* on its /metrics), at the default prices
// (metering.Defaults: 1 ms billing, us-east-1 x86_64).
type Cost struct {
	Function string `json:"function"`
	// MemoryMB is the function's memory setting.
	MemoryMB int `json:"memory_mb"`
	// Invocations is what the meter counted during the row, its warm-up
	// included; the averages below are over them.
	Invocations int64 `json:"invocations"`
	// BilledMsPerRequest is the mean billed duration of an invocation.
	BilledMsPerRequest float64 `json:"billed_ms_per_request"`
	// Requests is the row's measured requests; BilledGBSeconds and Run are
	// for them (mean per invocation × Requests).
	Requests        int64   `json:"requests"`
	BilledGBSeconds float64 `json:"billed_gb_seconds"`
	// PerRequest, PerMillion and Run are in USD: requests plus compute.
	PerRequest float64 `json:"cost_per_request_usd"`
	PerMillion float64 `json:"cost_per_million_usd"`
	Run        float64 `json:"cost_of_run_usd"`
	// RightSize compares the peak memory with the setting, and prices the
	// smallest setting that holds it.
	RightSize metering.RightSize `json:"right_size"`
}

// MeterReading is one function's meter as /metrics shows it (MeterProbe.Read).
type MeterReading struct {
	invocations int64
	gbSeconds   float64
	maxMemory   int64
	memoryBytes int64
}

// MeterProbe reads a local function's meter from a gateway's /metrics
// (its admin listener), to price a run against the function's route: Read
// before the run, Cost after it.
type MeterProbe struct {
	// Function is the function's name in the gateway's config.
	Function string
	// Metrics is the URL of the gateway's /metrics, e.g.
	// http://127.0.0.1:9090/metrics.
	Metrics string
}

var functionLabel = regexp.MustCompile(`\{function="([^"]*)"\}`)

// Read scrapes the function's meter.
func (p *MeterProbe) Read() (MeterReading, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.Metrics)
	if err != nil {
		return MeterReading{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return MeterReading{}, fmt.Errorf("%s: %s", p.Metrics, resp.Status)
	}
	return parseMeter(resp.Body, p.Function)
}

// parseMeter picks function's portico_function_* series out of the
// Prometheus text format.
func parseMeter(r io.Reader, function string) (MeterReading, error) {
	var m MeterReading
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !strings.HasPrefix(name, "portico_function_") {
			continue
		}
		labels := functionLabel.FindStringSubmatch("{" + rest)
		if labels == nil || labels[1] != function {
			continue
		}
		value, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return m, fmt.Errorf("metrics line %q: %w", line, err)
		}
		switch name {
		case "portico_function_invocations_total":
			m.invocations, found = int64(value), true
		case "portico_function_gb_seconds_total":
			m.gbSeconds = value
		case "portico_function_max_memory_used_bytes":
			m.maxMemory = int64(value)
		case "portico_function_memory_size_bytes":
			m.memoryBytes = int64(value)
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if !found {
		return m, fmt.Errorf("no meter of function %s on /metrics", function)
	}
	return m, nil
}

// Cost reads the meter again and prices the invocations since before, a
// run of requests measured requests, at the default prices.
func (p *MeterProbe) Cost(before MeterReading, requests int64) (*Cost, error) {
	after, err := p.Read()
	if err != nil {
		return nil, err
	}
	return costOf(p.Function, before, after, requests, metering.Defaults()), nil
}

// costOf prices the invocations between two readings, for requests
// measured requests.
func costOf(function string, before, after MeterReading, requests int64, billing metering.Config) *Cost {
	c := &Cost{Function: function, MemoryMB: int(after.memoryBytes / metering.MiB), Requests: requests,
		Invocations: after.invocations - before.invocations}
	if c.Invocations <= 0 {
		return c
	}
	perCall := (after.gbSeconds - before.gbSeconds) / float64(c.Invocations)
	if c.MemoryMB > 0 {
		c.BilledMsPerRequest = perCall * 1024 / float64(c.MemoryMB) * 1000
	}
	c.BilledGBSeconds = perCall * float64(requests)
	c.PerRequest = billing.Cost(1, perCall)
	c.PerMillion = billing.Cost(1e6, 1e6*perCall)
	c.Run = billing.Cost(requests, c.BilledGBSeconds)
	c.RightSize = billing.RightSizeFor(c.MemoryMB, perCall, after.maxMemory)
	return c
}

// writeCostTable writes the cost of the rows that have one, after the
// main table: a separate block, so that the main table's columns stay
// those of every row.
func writeCostTable(w io.Writer, results []*Result) {
	rows := [][]string{{"on AWS Lambda", "memory", "billed/req", "GB-s", "requests", "$/request", "$/1M req", "$ run", "max used", "fits in", "$/1M there"}}
	for _, r := range results {
		c := r.Cost
		if c == nil || c.Invocations <= 0 {
			continue
		}
		rows = append(rows, []string{
			r.Name, fmt.Sprintf("%d MB", c.MemoryMB), fmt.Sprintf("%.2f ms", c.BilledMsPerRequest), fmt.Sprintf("%.4g", c.BilledGBSeconds),
			fmt.Sprint(c.Requests), fmt.Sprintf("%.4g", c.PerRequest), fmt.Sprintf("%.4f", c.PerMillion), fmt.Sprintf("%.6f", c.Run),
			fmt.Sprintf("%d MB", c.RightSize.MaxMemoryUsedMB), fmt.Sprintf("%d MB", c.RightSize.SmallestMB), fmt.Sprintf("%.4f", c.RightSize.SmallestCostPerMillion),
		})
	}
	if len(rows) == 1 {
		return
	}
	fmt.Fprintln(w)
	writeAligned(w, rows)
	d := metering.Defaults()
	fmt.Fprintf(w, "prices: $%g per GB-s, $%g per 1M requests (%s, %s, read %s); billed/req over every invocation of the row, warm-up included; \"fits in\": the smallest memory setting that holds the peak, priced at the same billed duration\n",
		d.PricePerGBSecond, d.PricePerMillionRequests, d.Architecture, metering.PricesSource, metering.PricesDate)
}

// meteredGateway is gateway with its admin listener on, whose /metrics
// the rows of its local functions read their cost from; it returns the
// gateway's base URL and that of its /metrics.
func (s *session) meteredGateway(name, config string) (url, metrics string, err error) {
	admin, err := freeAddr()
	if err != nil {
		return "", "", err
	}
	url, err = s.gateway(name, fmt.Sprintf("admin: %s\n", admin)+config)
	if err != nil {
		return "", "", err
	}
	if !waitListening(admin, 5*time.Second) {
		return "", "", fmt.Errorf("%s: the admin listener did not listen on %s", name, admin)
	}
	return url, "http://" + admin + "/metrics", nil
}

// readMeter reads a row's meter, or returns nil (with a note) when the
// row has none or it cannot be read: the row then has no cost.
func (s *session) readMeter(p *MeterProbe) *MeterReading {
	if p == nil {
		return nil
	}
	m, err := p.Read()
	if err != nil {
		s.note("cost of %s not measured: %v", p.Function, err)
		return nil
	}
	return &m
}
