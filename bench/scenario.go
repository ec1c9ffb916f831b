package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/portico/portico/metering"
	"github.com/portico/portico/platform"
)

// ScenarioOptions configures a bundled scenario.
type ScenarioOptions struct {
	Name        string
	Connections int           // default 64
	Duration    time.Duration // per row; default 5s
	WarmUp      time.Duration // per row; default 1s
	Rounds      int           // rows are run A B A B …, this many times; default 2
	ColdStarts  int           // coldstart scenario: cold starts per language; default 50
	// Executable is the portico binary, used to run targets as child
	// processes (pinned to other cores). Empty: targets run in this process.
	Executable string
	Pin        bool      // pin the generator and the targets to different cores
	Log        io.Writer // progress notes; nil for none
	// AccessLog is which gateways the scenarios that compare a gateway
	// with something else run: "off" (access log off), "on" (written to
	// a file, as users run it) or "both" (rows for each, side by side);
	// default "both".
	AccessLog string
}

// Report is the outcome of a scenario.
type Report struct {
	Scenario string    `json:"scenario"`
	Notes    []string  `json:"notes"`
	Results  []*Result `json:"results"`
	Ratios   []Ratio   `json:"ratios"`
}

// Ratio compares two rows' throughput (or p99) across rounds.
type Ratio struct {
	Name   string    `json:"name"`
	Median float64   `json:"median"`
	Rounds []float64 `json:"rounds"`
}

// Scenario is a bundled load test.
type Scenario struct {
	Name, Description string
	run               func(ctx context.Context, s *session) error
}

// Scenarios lists the bundled scenarios.
func Scenarios() []Scenario {
	return []Scenario{
		{"mock", "gateway overhead: mock function (2.0 and 1.0 events) vs a bare fasthttp server with the same bytes; then p99 at half the bare server's rate", runMock},
		{"http", "http backend to a fasthttp function server vs the bare baseline and nginx (when installed) proxying to the same function server", runHTTP},
		{"process", "warm local hello functions (Go, Node.js, Python; the Go one under aws-lambda-rie when installed) through the gateway vs the builtin echo, at 1, 4 and 50 connections", runProcess},
		{"coldstart", "cold start of the Go, Node.js and Python hello (process start to first response) and the bare interpreters' own start", runColdStart},
		{"auth", "cost of a JWT-protected route (RS256, token seen before) and an API-key route against an open route", runAuth},
		{"invoke", "the Lambda Invoke API against an HTTP route, both calling the builtin echo with the same body", runInvoke},
		{"ratelimit", "cost of a rate-limited route (a bucket per client IP) on the local store and on Redis, against an open route", runRateLimit},
	}
}

// session is one scenario run: its options, targets and rows.
type session struct {
	o       ScenarioOptions
	report  *Report
	cpus    string // taskset cores of targets, "" when not pinned
	dir     string
	cleanup []func()
	cpu     cpuMeter // targets running as child processes, by name
}

// RunScenario runs the named scenario and returns its report.
func RunScenario(ctx context.Context, o ScenarioOptions) (*Report, error) {
	if o.Connections == 0 {
		o.Connections = 64
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Second
	}
	if o.WarmUp == 0 {
		o.WarmUp = time.Second
	}
	if o.Rounds == 0 {
		o.Rounds = 2
	}
	switch o.AccessLog {
	case "":
		o.AccessLog = "both"
	case "on", "off", "both":
	default:
		return nil, fmt.Errorf("access log %q: want on, off or both", o.AccessLog)
	}
	var sc *Scenario
	for _, s := range Scenarios() {
		if s.Name == o.Name {
			sc = &s
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("unknown scenario %q (see --list)", o.Name)
	}
	dir, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		return nil, err
	}
	s := &session{o: o, report: &Report{Scenario: o.Name}, dir: dir, cpu: cpuMeter{groups: map[string]int{}}}
	defer func() {
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
		os.RemoveAll(dir)
	}()
	if o.Pin && o.Executable != "" {
		if s.cpus, err = pinning(); err != nil {
			s.note("not pinned: %v", err)
		} else {
			s.note("load generator pinned to CPU 0, targets to CPUs %s", s.cpus)
		}
	} else {
		s.note("not pinned: targets run in the generator's process")
	}
	s.note("%d connections, %v per row after %v warm-up, %d rounds alternating the rows", o.Connections, o.Duration, o.WarmUp, o.Rounds)
	if err := sc.run(ctx, s); err != nil {
		return nil, err
	}
	return s.report, nil
}

func (s *session) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.report.Notes = append(s.report.Notes, msg)
	if s.o.Log != nil {
		fmt.Fprintln(s.o.Log, "# "+msg)
	}
}

// fixed starts a bare server answering resp and returns its base URL;
// name is how its CPU time is reported.
func (s *session) fixed(name string, resp FixedResponse) (string, error) {
	if s.o.Executable == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		ctx, cancel := context.WithCancel(context.Background())
		go ServeFixed(ctx, ln, resp) //nolint:errcheck
		s.cleanup = append(s.cleanup, cancel)
		return "http://" + ln.Addr().String(), nil
	}
	spec, _ := json.Marshal(resp)
	c, err := startChild([]string{s.o.Executable, "bench-target", string(spec)}, s.cpus, nil)
	if err != nil {
		return "", err
	}
	s.cleanup = append(s.cleanup, c.stop)
	s.cpu.groups[name] = c.cmd.Process.Pid
	return "http://" + c.addr, nil
}

// gateway starts a gateway on config (YAML; its listen address is set
// here) with its access log off, and returns its base URL.
func (s *session) gateway(name, config string) (string, error) {
	return s.serveConfig(name, "log: {level: info, access: false}\n"+config)
}

// gatewayAccessLog is gateway with the access log on, written to a file
// as a user runs it (the gateway as a child process only: in this process
// the log goes nowhere).
func (s *session) gatewayAccessLog(name, config string) (string, error) {
	return s.serveConfig(name, fmt.Sprintf("log: {level: info, access: true, file: %q}\n", filepath.Join(s.dir, name+"-access.log"))+config)
}

// gatewayRun is one gateway of a scenario under one access-log setting.
type gatewayRun struct {
	suffix string // added to row names: "" (log off) or ", access log on"
	url    string
	proc   string // its name in the CPU figures
}

// gateways starts a gateway on config with its access log off, on, or
// both side by side, as the options ask.
func (s *session) gateways(name, config string) ([]gatewayRun, error) {
	var out []gatewayRun
	if s.o.AccessLog != "on" {
		u, err := s.gateway(name, config)
		if err != nil {
			return nil, err
		}
		out = append(out, gatewayRun{url: u, proc: name})
	}
	if s.o.AccessLog != "off" {
		u, err := s.gatewayAccessLog(name+"-logged", config)
		if err != nil {
			return nil, err
		}
		out = append(out, gatewayRun{suffix: ", access log on", url: u, proc: name + "-logged"})
	}
	return out, nil
}

// rowsOn makes r (its url a path) a row for each gateway, its processes
// the gateway's and r's.
func rowsOn(gws []gatewayRun, r row) []row {
	out := make([]row, len(gws))
	for i, g := range gws {
		out[i] = r
		out[i].name = r.name + g.suffix
		out[i].url = g.url + r.url
		out[i].procs = append([]string{"gateway " + g.proc}, r.procs...)
	}
	return out
}

// serveConfig starts a gateway on config, its listen address set here.
func (s *session) serveConfig(name, config string) (string, error) {
	config = "listen: 127.0.0.1:0\n" + config
	file := filepath.Join(s.dir, name+".yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		return "", err
	}
	if s.o.Executable == "" {
		cfg, err := platform.Load(file)
		if err != nil {
			return "", err
		}
		p, err := platform.New(cfg)
		if err != nil {
			return "", err
		}
		if err := p.Start(context.Background()); err != nil {
			p.Close()
			return "", err
		}
		// Served as `portico serve` serves it (the Invoke API too), on an
		// address chosen here so that it is known.
		addr, err := freeAddr()
		if err != nil {
			p.Close()
			return "", err
		}
		cfg.Listen = addr // admin: as the config says (metered rows read its /metrics)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { platform.Serve(ctx, p, nil); close(done) }() //nolint:errcheck
		s.cleanup = append(s.cleanup, func() { cancel(); <-done })
		if !waitListening(addr, 5*time.Second) {
			return "", fmt.Errorf("%s: the gateway did not listen on %s", name, addr)
		}
		return "http://" + addr, nil
	}
	c, err := startChild([]string{s.o.Executable, "serve", "--config", file}, s.cpus, nil)
	if err != nil {
		return "", err
	}
	s.cpu.groups["gateway "+name] = c.cmd.Process.Pid
	s.cleanup = append(s.cleanup, func() {
		if rss, err := c.peakRSS(); err == nil {
			s.note("%s gateway peak RSS: %.1f MiB", name, float64(rss)/(1<<20))
		}
		c.stop()
	})
	return "http://" + c.addr, nil
}

// row is one line of the comparison.
type row struct {
	name    string
	url     string
	method  string // default GET
	body    []byte
	rate    float64 // 0: closed loop
	headers map[string]string
	conns   int      // 0: the scenario's connections
	procs   []string // the targets serving the row, whose CPU time it reports
	// meter, when set, reads the meter of the local function behind the
	// row's route, so that the result carries its cost on Lambda.
	meter *MeterProbe
}

// measure runs rows A B A B … for the configured rounds and returns the
// results by row name, in round order.
func (s *session) measure(ctx context.Context, rows []row) (map[string][]*Result, error) {
	out := map[string][]*Result{}
	for round := 1; round <= s.o.Rounds; round++ {
		for _, r := range rows {
			conns := s.o.Connections
			if r.conns > 0 {
				conns = r.conns
			}
			meterBefore := s.readMeter(r.meter)
			var before, after map[string]time.Duration
			var opened, closed time.Time
			res, err := Run(ctx, Options{
				Targets: []Target{{URL: r.url}}, Connections: conns, Method: r.method, Body: r.body,
				Duration: s.o.Duration, WarmUp: s.o.WarmUp, Rate: r.rate, Headers: r.headers,
				Window: func(open bool) {
					if open {
						before, opened = s.cpu.snapshot(r.procs), time.Now()
					} else {
						after, closed = s.cpu.snapshot(r.procs), time.Now()
					}
				},
			})
			if err != nil {
				return nil, err
			}
			if meterBefore != nil {
				if meterAfter := s.readMeter(r.meter); meterAfter != nil {
					res.Cost = costOf(r.meter.Function, *meterBefore, *meterAfter, res.Requests, metering.Defaults())
				}
			}
			res.Name = fmt.Sprintf("%s #%d", r.name, round)
			res.CPU = perRequest(r.procs, before, after, closed.Sub(opened), res.Requests)
			if s.o.Log != nil {
				fmt.Fprintf(s.o.Log, "# %s: %.0f req/s, p99 %s, errors %d", res.Name, res.Throughput, fmtMicros(res.Latency.P99), res.ErrorCount)
				if len(res.CPU) > 0 {
					fmt.Fprintf(s.o.Log, ", cpu/req %s (%s)", cpuTotal(res.CPU), cpuBreakdown(res.CPU))
				}
				fmt.Fprintln(s.o.Log)
			}
			out[r.name] = append(out[r.name], res)
			s.report.Results = append(s.report.Results, res)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	return out, nil
}

// ratio adds the median ratio of metric(a)/metric(b) over rounds.
func (s *session) ratio(name string, a, b []*Result, metric func(*Result) float64) float64 {
	r := Ratio{Name: name}
	for i := range min(len(a), len(b)) {
		if d := metric(b[i]); d > 0 {
			r.Rounds = append(r.Rounds, metric(a[i])/d)
		}
	}
	sorted := append([]float64(nil), r.Rounds...)
	sort.Float64s(sorted)
	if n := len(sorted); n > 0 {
		r.Median = sorted[n/2]
		if n%2 == 0 {
			r.Median = (sorted[n/2-1] + sorted[n/2]) / 2
		}
	}
	s.report.Ratios = append(s.report.Ratios, r)
	return r.Median
}

func throughput(r *Result) float64 { return r.Throughput }

// perCPUSecond is the requests the row's targets answer per second of CPU
// between them: the throughput the row would have alone on a saturated
// core, steadier than req/s on a machine other work shares.
func perCPUSecond(r *Result) float64 {
	var us float64
	for _, p := range r.CPU {
		us += p.PerRequest
	}
	if us == 0 {
		return 0
	}
	return 1e6 / us
}

// cpuRatio adds the ratio of a's requests per CPU-second to b's, when the
// targets' CPU was measured (targets in child processes).
func (s *session) cpuRatio(name string, a, b []*Result) {
	if len(a) == 0 || len(b) == 0 || len(a[0].CPU) == 0 || len(b[0].CPU) == 0 {
		return
	}
	s.ratio(name+" (req per CPU-s)", a, b, perCPUSecond)
}
func p99(r *Result) float64 { return float64(r.Latency.P99) }

// helloResponse is what the mock route answers; the bare baseline answers
// the same bytes (the request id header has the same length).
var helloResponse = FixedResponse{
	Status:  200,
	Headers: map[string]string{"Content-Type": "text/plain", "apigw-requestid": "JKJaXmPLvHcESHA="},
	Body:    "Hello from Portico!",
}

const mockConfig = `
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {Content-Type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /hello/{name}", function: hello}
  - {route: "GET /v1/hello/{name}", function: hello, payload: "1.0"}
`

func runMock(ctx context.Context, s *session) error {
	bare, err := s.fixed("bare", helloResponse)
	if err != nil {
		return err
	}
	gws, err := s.gateways("mock", mockConfig)
	if err != nil {
		return err
	}
	rows := []row{{name: "bare fasthttp", url: bare + "/hello/world?x=1", procs: []string{"bare"}}}
	rows = append(rows, rowsOn(gws, row{name: "gateway mock 2.0", url: "/hello/world?x=1"})...)
	rows = append(rows, rowsOn(gws, row{name: "gateway mock 1.0", url: "/v1/hello/world?x=1"})...)
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, g := range gws {
		for _, v := range []string{"2.0", "1.0"} {
			s.ratio("gateway mock "+v+g.suffix+" / bare (req/s)", res["gateway mock "+v+g.suffix], res["bare fasthttp"], throughput)
			s.cpuRatio("gateway mock "+v+g.suffix+" / bare", res["gateway mock "+v+g.suffix], res["bare fasthttp"])
		}
	}
	if len(gws) == 2 {
		s.ratio("access log on / off, mock 2.0 (req/s)", res["gateway mock 2.0, access log on"], res["gateway mock 2.0"], throughput)
	}

	half := s.halfRate("the bare server's", res["bare fasthttp"])
	open := []row{{name: "bare fasthttp @ half rate", url: bare + "/hello/world?x=1", rate: half, procs: []string{"bare"}}}
	open = append(open, rowsOn(gws, row{name: "gateway mock 2.0 @ half rate", url: "/hello/world?x=1", rate: half})...)
	openRes, err := s.measure(ctx, open)
	if err != nil {
		return err
	}
	for _, g := range gws {
		s.ratio("gateway mock 2.0"+g.suffix+" / bare p99 at half rate", openRes["gateway mock 2.0 @ half rate"+g.suffix], openRes["bare fasthttp @ half rate"], p99)
	}
	return nil
}

// halfRate is half the slowest of the rows' best saturating rates: the
// open loop rate at which latency is compared, a load every one of them
// keeps up with. what names the rows in the note.
func (s *session) halfRate(what string, rows ...[]*Result) float64 {
	slowest := math.Inf(1)
	for _, row := range rows {
		var best float64
		for _, r := range row {
			best = max(best, r.Throughput)
		}
		slowest = min(slowest, best)
	}
	if math.IsInf(slowest, 1) {
		slowest = 0
	}
	half := slowest / 2
	s.note("open loop at %.0f req/s: half %s saturating rate", half, what)
	return half
}

// functionResult is what the http scenario's function server answers: the
// mock route's response as a Lambda result.
const functionResult = `{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"Hello from Portico!"}`

func runHTTP(ctx context.Context, s *session) error {
	fn, err := s.fixed("function server", FixedResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: functionResult})
	if err != nil {
		return err
	}
	bare, err := s.fixed("bare", helloResponse)
	if err != nil {
		return err
	}
	gws, err := s.gateways("http", fmt.Sprintf(`
functions:
  hello: {backend: http, url: "%s/2015-03-31/functions/hello/invocations"}
routes:
  - {route: "GET /hello/{name}", function: hello}
`, fn))
	if err != nil {
		return err
	}
	fnProc := []string{"function server"}
	rows := []row{{name: "bare fasthttp", url: bare + "/hello/world?x=1", procs: []string{"bare"}}}
	rows = append(rows, rowsOn(gws, row{name: "gateway http backend", url: "/hello/world?x=1", procs: fnProc})...)
	// nginx's rows: its access log off, and on (buffered, as the gateway's
	// is) when the gateway's is.
	var nginxes []gatewayRun
	for _, logged := range []bool{false, true} {
		if logged && s.o.AccessLog == "off" {
			continue
		}
		ng, err := s.nginx(fn, logged)
		if err != nil {
			s.note("nginx row skipped: %v", err)
			break
		}
		nginxes = append(nginxes, ng)
		rows = append(rows, row{name: "nginx proxy" + ng.suffix, url: ng.url + "/hello/world?x=1", procs: append([]string{ng.proc}, fnProc...)})
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, g := range gws {
		gw := res["gateway http backend"+g.suffix]
		s.ratio("gateway http"+g.suffix+" / bare (req/s)", gw, res["bare fasthttp"], throughput)
		for _, ng := range nginxes {
			s.ratio("gateway http"+g.suffix+" / nginx proxy"+ng.suffix+" (req/s)", gw, res["nginx proxy"+ng.suffix], throughput)
			s.cpuRatio("gateway http"+g.suffix+" / nginx proxy"+ng.suffix, gw, res["nginx proxy"+ng.suffix])
		}
	}

	// Half the bare server's rate is more than a proxy to a function
	// server on the same cores keeps up with: half the slowest row's.
	var saturated [][]*Result
	for _, r := range rows {
		saturated = append(saturated, res[r.name])
	}
	half := s.halfRate("the slowest row's", saturated...)
	open := []row{{name: "bare fasthttp @ half rate", url: bare + "/hello/world?x=1", rate: half, procs: []string{"bare"}}}
	open = append(open, rowsOn(gws, row{name: "gateway http backend @ half rate", url: "/hello/world?x=1", rate: half, procs: fnProc})...)
	if len(nginxes) > 0 {
		ng := nginxes[0]
		open = append(open, row{name: "nginx proxy @ half rate" + ng.suffix, url: ng.url + "/hello/world?x=1", rate: half, procs: append([]string{ng.proc}, fnProc...)})
	}
	openRes, err := s.measure(ctx, open)
	if err != nil {
		return err
	}
	for _, g := range gws {
		gw := openRes["gateway http backend @ half rate"+g.suffix]
		s.ratio("gateway http"+g.suffix+" / bare p99 at half rate", gw, openRes["bare fasthttp @ half rate"], p99)
		if len(nginxes) > 0 {
			s.ratio("gateway http"+g.suffix+" / nginx proxy"+nginxes[0].suffix+" p99 at half rate", gw, openRes["nginx proxy @ half rate"+nginxes[0].suffix], p99)
		}
	}
	return nil
}

// nginx starts nginx proxying to upstream with keep-alive, one worker per
// target core, its access log off or, when logged, written to a file
// through a 64 KB buffer flushed every second (as the gateway's is).
func (s *session) nginx(upstream string, logged bool) (gatewayRun, error) {
	run := gatewayRun{proc: "nginx"}
	if logged {
		run = gatewayRun{suffix: ", access log on", proc: "nginx-logged"}
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return run, fmt.Errorf("nginx not installed (apt-get install nginx)")
	}
	addr, err := freeAddr()
	if err != nil {
		return run, err
	}
	dir := filepath.Join(s.dir, run.proc)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return run, err
	}
	workers := "auto"
	if s.cpus != "" {
		workers = fmt.Sprint(cpuCount(s.cpus))
	}
	accessLog := "off"
	if logged {
		accessLog = filepath.Join(dir, "access.log") + " combined buffer=64k flush=1s"
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes %[1]s;
pid %[2]s/nginx.pid;
error_log %[2]s/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log %[5]s;
  client_body_temp_path %[2]s/body; proxy_temp_path %[2]s/proxy; fastcgi_temp_path %[2]s/fcgi;
  uwsgi_temp_path %[2]s/uwsgi; scgi_temp_path %[2]s/scgi;
  upstream fn { server %[3]s; keepalive 256; }
  server {
    listen %[4]s;
    location / {
      proxy_pass http://fn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`, workers, dir, strings.TrimPrefix(upstream, "http://"), addr, accessLog)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		return run, err
	}
	argv := []string{bin, "-c", file, "-p", dir}
	if s.cpus != "" {
		argv = append([]string{"taskset", "-c", s.cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	stop, err := startDaemon(cmd)
	if err != nil {
		return run, err
	}
	s.cleanup = append(s.cleanup, stop)
	s.cpu.groups[run.proc] = cmd.Process.Pid
	if !waitListening(addr, 5*time.Second) {
		return run, fmt.Errorf("nginx did not start listening on %s", addr)
	}
	run.url = "http://" + addr
	return run, nil
}

// cpuCount counts the cores in a taskset list such as "1-3" or "1".
func cpuCount(list string) int {
	var lo, hi int
	if n, _ := fmt.Sscanf(list, "%d-%d", &lo, &hi); n == 2 {
		return hi - lo + 1
	}
	return 1
}
