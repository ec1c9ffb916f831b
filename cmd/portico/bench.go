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

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	var (
		scenario    = fs.String("scenario", "", "run a bundled scenario (see --list)")
		list        = fs.Bool("list", false, "list the bundled scenarios")
		connections = fs.Int("c", 64, "connections")
		duration    = fs.Duration("d", 10*time.Second, "measured duration (per row for scenarios)")
		requests    = fs.Int64("n", 0, "stop after this many requests instead of -d")
		rate        = fs.Float64("rate", 0, "open loop at this many requests/s in total (0: closed loop)")
		warmup      = fs.Duration("warmup", 0, "load sent before measuring (scenarios: default 1s)")
		method      = fs.String("m", "GET", "method")
		body        = fs.String("body", "", "request body, or @file to read it from a file")
		timeout     = fs.Duration("timeout", 10*time.Second, "per-request timeout")
		rounds      = fs.Int("rounds", 2, "scenarios: rounds of alternating rows")
		noPin       = fs.Bool("no-pin", false, "scenarios: do not pin the generator and targets to different cores")
		jsonOut     = fs.Bool("json", false, "print the results as JSON")
		htmlFile    = fs.String("html", "", "also write a self-contained HTML report to this file")
		headers     stringList
	)
	fs.Var(&headers, "H", "header 'Name: value' (repeatable)")
	targets, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *list {
		for _, s := range bench.Scenarios() {
			fmt.Fprintf(stdout, "%-10s %s\n", s.Name, s.Description)
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := isTerminal(stderr)

	var results []*bench.Result
	var report *bench.Report
	title := "portico bench"
	if *scenario != "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		var log io.Writer
		if !*jsonOut {
			log = stderr
		}
		report, err = bench.RunScenario(ctx, bench.ScenarioOptions{
			Name: *scenario, Connections: *connections, Duration: *duration, WarmUp: *warmup,
			Rounds: *rounds, Executable: exe, Pin: !*noPin, Log: log,
		})
		if err != nil {
			return err
		}
		results, title = report.Results, "portico bench --scenario "+*scenario
	} else {
		opts := bench.Options{
			Method: *method, Connections: *connections, Requests: *requests, Rate: *rate,
			WarmUp: *warmup, Timeout: *timeout, Headers: map[string]string{},
		}
		if *requests == 0 {
			opts.Duration = *duration
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
		for _, h := range headers {
			name, value, ok := strings.Cut(h, ":")
			if !ok {
				return usageError{fmt.Sprintf("header %q: want 'Name: value'", h)}
			}
			opts.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
		if strings.HasPrefix(*body, "@") {
			if opts.Body, err = os.ReadFile((*body)[1:]); err != nil {
				return err
			}
		} else {
			opts.Body = []byte(*body)
		}
		if len(opts.Targets) == 0 {
			return usageError{"give a target URL (URL or URL@WEIGHT, several allowed) or --scenario NAME"}
		}
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
			return err
		}
		res.Name = strings.Join(targets, " ")
		results = []*bench.Result{res}
	}

	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if report != nil {
			if err := enc.Encode(report); err != nil {
				return err
			}
		} else if err := enc.Encode(results[0]); err != nil {
			return err
		}
	} else {
		bench.WriteTable(stdout, results)
		if report != nil {
			for _, r := range report.Ratios {
				fmt.Fprintf(stdout, "%-40s %.2f  (rounds: %s)\n", r.Name, r.Median, fmtFloats(r.Rounds))
			}
		}
	}
	if *htmlFile != "" {
		f, err := os.Create(*htmlFile)
		if err != nil {
			return err
		}
		if err := bench.WriteHTML(f, title, results); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
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
