package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// processSweep is the connection counts the process scenario runs at: one
// client, a few, and many more than the function's concurrency.
var processSweep = []int{1, 4, 50}

// runProcess compares, at each count of processSweep, the hello function
// of each language (Go, Node.js, Python: those whose interpreter is on
// PATH) and, when installed, the Lambda Runtime Interface Emulator running
// the Go hello, with the builtin echo on the same gateway. The functions
// keep their defaults (concurrency, queueTimeout) as in the quickstart, so
// the rows measure what a user who load-tests them gets.
func runProcess(ctx context.Context, s *session) error {
	fns, err := s.helloFunctions()
	if err != nil {
		return err
	}
	var cfg strings.Builder
	cfg.WriteString("functions:\n  echo: {backend: builtin, handler: echo}\n")
	routes := "routes:\n  - {route: \"GET /echo\", function: echo}\n"
	names := []string{}
	for _, f := range fns {
		cfg.WriteString(f.yaml(f.name))
		routes += fmt.Sprintf("  - {route: \"GET /%s/hello\", function: %s}\n", f.name, f.name)
		names = append(names, f.name)
	}
	if rie, err := s.rie(ctx, fns); err != nil {
		s.note("rie row skipped: %v", err)
	} else {
		// Through the gateway's http backend, as the other rows go through
		// it, so the row compares the runtimes and not the paths to them.
		fmt.Fprintf(&cfg, "  rie: {backend: http, url: %q}\n", rie+rieInvokePath)
		routes += "  - {route: \"GET /rie/hello\", function: rie}\n"
		names = append(names, "rie")
	}
	gw, metrics, err := s.meteredGateway("process", cfg.String()+routes)
	if err != nil {
		return err
	}
	local := map[string]bool{}
	for _, f := range fns {
		local[f.name] = true
	}
	// Each function answers once before the rows: the rows measure warm
	// instances (cold starts are the coldstart scenario's), and a row as
	// short as a test's is not spent starting a runtime.
	for _, n := range names {
		if err := warm(gw + "/" + n + "/hello"); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	s.note("connections per row: %v (the -c flag does not apply)", processSweep)
	var rows []row
	for _, c := range processSweep {
		// The gateway's process group holds its function instances too.
		gwProc := []string{"gateway process"}
		rows = append(rows, row{name: echoRow(c), url: gw + "/echo", conns: c, procs: gwProc})
		for _, n := range names {
			r := row{name: helloRow(n, c), url: gw + "/" + n + "/hello", conns: c, procs: gwProc}
			if local[n] {
				r.meter = &MeterProbe{Function: n, Metrics: metrics}
			}
			rows = append(rows, r)
		}
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, c := range processSweep {
		for _, n := range names {
			s.ratio(fmt.Sprintf("%s hello / echo at -c %d (req/s)", n, c), res[helloRow(n, c)], res[echoRow(c)], throughput)
		}
	}
	for _, c := range processSweep {
		for _, n := range names {
			if n != goHello.name {
				s.ratio(fmt.Sprintf("%s / go hello at -c %d (req/s)", n, c), res[helloRow(n, c)], res[helloRow(goHello.name, c)], throughput)
			}
		}
	}
	last, prev := processSweep[len(processSweep)-1], processSweep[len(processSweep)-2]
	s.ratio(fmt.Sprintf("go hello -c %d / -c %d (req/s)", last, prev),
		res[helloRow(goHello.name, last)], res[helloRow(goHello.name, prev)], throughput)
	s.note("targets (issue 11): go hello / echo at -c %d ≥ 0.25; go hello -c %d / -c %d ≥ 1; nodejs and python / go hello ≥ 0.5 (within 2×)", last, last, prev)
	return nil
}

func echoRow(conns int) string { return fmt.Sprintf("builtin echo -c %d", conns) }

func helloRow(name string, conns int) string { return fmt.Sprintf("%s hello -c %d", name, conns) }

// warm sends url one GET and wants a 200: it starts the instance that
// answers it, however long its runtime takes to start.
func warm(url string) error {
	status, _, err := fasthttp.GetTimeout(nil, url, time.Minute)
	if err != nil {
		return fmt.Errorf("warming up: %w", err)
	}
	if status != fasthttp.StatusOK {
		return fmt.Errorf("warming up: status %d", status)
	}
	return nil
}
