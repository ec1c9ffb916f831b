package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goccy/go-json"

	"github.com/portico/portico/bench"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// benchFlags are the flags of `portico bench`.
type benchFlags struct {
	scenario    *string
	list        *bool
	connections *int
	duration    *time.Duration
	requests    *int64
	rate        *float64
	warmup      *time.Duration
	method      *string
	body        *string
	timeout     *time.Duration
	rounds      *int
	noPin       *bool
	accessLog   *string
	jsonOut     *bool
	htmlFile    *string
	headers     stringList
	// metrics and function price a run against a local function's route
	// from the gateway's meter.
	metrics, function *string
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	f := benchFlags{
		scenario:    fs.String("scenario", "", "run a bundled scenario (see --list)"),
		list:        fs.Bool("list", false, "list the bundled scenarios"),
		connections: fs.Int("c", 64, "connections"),
		duration:    fs.Duration("d", 10*time.Second, "measured duration (per row for scenarios)"),
		requests:    fs.Int64("n", 0, "stop after this many requests instead of -d"),
		rate:        fs.Float64("rate", 0, "open loop at this many requests/s in total (0: closed loop)"),
		warmup:      fs.Duration("warmup", 0, "load sent before measuring (scenarios: default 1s)"),
		method:      fs.String("m", "GET", "method"),
		body:        fs.String("body", "", "request body, or @file to read it from a file"),
		timeout:     fs.Duration("timeout", 10*time.Second, "per-request timeout"),
		rounds:      fs.Int("rounds", 2, "scenarios: rounds of alternating rows"),
		noPin:       fs.Bool("no-pin", false, "scenarios: do not pin the generator and targets to different cores"),
		accessLog:   fs.String("access-log", "both", "scenarios: the gateway's (and nginx's) access log: on, off, or both side by side"),
		jsonOut:     fs.Bool("json", false, "print the results as JSON"),
		htmlFile:    fs.String("html", "", "also write a self-contained HTML report to this file"),
		metrics:     fs.String("metrics", "", "the gateway's /metrics URL (admin listener): with --function, price the run on AWS Lambda"),
		function:    fs.String("function", "", "the local function behind the target route, whose meter --metrics reads"),
	}
	fs.Var(&f.headers, "H", "header 'Name: value' (repeatable)")
	targets, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *f.list {
		for _, s := range bench.Scenarios() {
			fmt.Fprintf(stdout, "%-10s %s\n", s.Name, s.Description)
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var results []*bench.Result
	var report *bench.Report
	title := "portico bench"
	if *f.scenario != "" {
		if report, err = runScenario(ctx, &f, stderr); err != nil {
			return err
		}
		results, title = report.Results, "portico bench --scenario "+*f.scenario
	} else {
		res, err := runTargets(ctx, &f, targets, stderr)
		if err != nil {
			return err
		}
		results = []*bench.Result{res}
	}
	if err := printResults(stdout, *f.jsonOut, report, results); err != nil {
		return err
	}
	if *f.htmlFile != "" {
		return writeHTMLReport(*f.htmlFile, title, results)
	}
	return nil
}

// runScenario runs the bundled scenario the flags name; its progress goes
// to stderr unless the results are printed as JSON.
func runScenario(ctx context.Context, f *benchFlags, stderr io.Writer) (*bench.Report, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var log io.Writer
	if !*f.jsonOut {
		log = stderr
	}
	return bench.RunScenario(ctx, bench.ScenarioOptions{
		Name: *f.scenario, Connections: *f.connections, Duration: *f.duration, WarmUp: *f.warmup,
		Rounds: *f.rounds, Executable: exe, Pin: !*f.noPin, Log: log, AccessLog: *f.accessLog,
	})
}

// runTargets loads the targets (URL or URL@WEIGHT) as the flags say, with
// a live progress line on stderr when it is a terminal.
func runTargets(ctx context.Context, f *benchFlags, targets []string, stderr io.Writer) (*bench.Result, error) {
	opts, err := targetOptions(f, targets)
	if err != nil {
		return nil, err
	}
	var probe *bench.MeterProbe
	var before bench.MeterReading
	if (*f.metrics == "") != (*f.function == "") {
		return nil, usageError{"--metrics and --function go together"}
	}
	if *f.metrics != "" {
		probe = &bench.MeterProbe{Function: *f.function, Metrics: *f.metrics}
		if before, err = probe.Read(); err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
	}
	progress := isTerminal(stderr)
	if progress {
		opts.Progress = func(done int64, elapsed time.Duration) {
			fmt.Fprintf(stderr, "\r%8d requests  %8.0f req/s  %6.1fs", done, float64(done)/elapsed.Seconds(), elapsed.Seconds())
		}
	}
	res, err := bench.Run(ctx, opts)
	if progress {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return nil, err
	}
	res.Name = strings.Join(targets, " ")
	if probe != nil {
		if res.Cost, err = probe.Cost(before, res.Requests); err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
	}
	return res, nil
}

// targetOptions turns the flags and targets into bench.Options.
func targetOptions(f *benchFlags, targets []string) (bench.Options, error) {
	opts := bench.Options{
		Method: *f.method, Connections: *f.connections, Requests: *f.requests, Rate: *f.rate,
		WarmUp: *f.warmup, Timeout: *f.timeout, Headers: map[string]string{},
	}
	if *f.requests == 0 {
		opts.Duration = *f.duration
	}
	for _, t := range targets {
		url, weight := t, 1
		if i := strings.LastIndex(t, "@"); i > 0 {
			if w, err := strconv.Atoi(t[i+1:]); err == nil {
				url, weight = t[:i], w
			}
		}
		opts.Targets = append(opts.Targets, bench.Target{URL: url, Weight: weight})
	}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return opts, usageError{fmt.Sprintf("header %q: want 'Name: value'", h)}
		}
		opts.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	if file, ok := strings.CutPrefix(*f.body, "@"); ok {
		var err error
		if opts.Body, err = os.ReadFile(file); err != nil {
			return opts, err
		}
	} else {
		opts.Body = []byte(*f.body)
	}
	if len(opts.Targets) == 0 {
		return opts, usageError{"give a target URL (URL or URL@WEIGHT, several allowed) or --scenario NAME"}
	}
	return opts, nil
}

// printResults prints the results as a table (with a scenario's ratios)
// or as JSON (the scenario's report, or the one result).
func printResults(stdout io.Writer, asJSON bool, report *bench.Report, results []*bench.Result) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if report != nil {
			return enc.Encode(report)
		}
		return enc.Encode(results[0])
	}
	bench.WriteTable(stdout, results)
	if report != nil {
		for _, r := range report.Ratios {
			fmt.Fprintf(stdout, "%-40s %.2f  (rounds: %s)\n", r.Name, r.Median, fmtFloats(r.Rounds))
		}
	}
	return nil
}

// writeHTMLReport writes the self-contained HTML report to file.
func writeHTMLReport(file, title string, results []*bench.Result) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := bench.WriteHTML(f, title, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fmtFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = fmt.Sprintf("%.2f", f)
	}
	return strings.Join(parts, " ")
}

// isTerminal reports whether w is a terminal, for the live progress line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
