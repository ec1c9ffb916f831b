package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

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
	s := &session{o: o, report: &Report{Scenario: o.Name}, dir: dir}
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

// fixed starts a bare server answering resp and returns its base URL.
func (s *session) fixed(resp FixedResponse) (string, error) {
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
		cfg.Listen, cfg.Admin.Listen = addr, ""
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
	conns   int // 0: the scenario's connections
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
			res, err := Run(ctx, Options{
				Targets: []Target{{URL: r.url}}, Connections: conns, Method: r.method, Body: r.body,
				Duration: s.o.Duration, WarmUp: s.o.WarmUp, Rate: r.rate, Headers: r.headers,
			})
			if err != nil {
				return nil, err
			}
			res.Name = fmt.Sprintf("%s #%d", r.name, round)
			if s.o.Log != nil {
				fmt.Fprintf(s.o.Log, "# %s: %.0f req/s, p99 %s, errors %d\n", res.Name, res.Throughput, fmtMicros(res.Latency.P99), res.ErrorCount)
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
func p99(r *Result) float64        { return float64(r.Latency.P99) }

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
	bare, err := s.fixed(helloResponse)
	if err != nil {
		return err
	}
	gw, err := s.gateway("mock", mockConfig)
	if err != nil {
		return err
	}
	logged, err := s.gatewayAccessLog("mock-logged", mockConfig)
	if err != nil {
		return err
	}
	rows, err := s.measure(ctx, []row{
		{name: "bare fasthttp", url: bare + "/hello/world?x=1"},
		{name: "gateway mock 2.0", url: gw + "/hello/world?x=1"},
		{name: "gateway mock 1.0", url: gw + "/v1/hello/world?x=1"},
		{name: "gateway mock 2.0, access log on", url: logged + "/hello/world?x=1"},
	})
	if err != nil {
		return err
	}
	s.ratio("gateway mock 2.0 / bare (req/s)", rows["gateway mock 2.0"], rows["bare fasthttp"], throughput)
	s.ratio("gateway mock 1.0 / bare (req/s)", rows["gateway mock 1.0"], rows["bare fasthttp"], throughput)
	s.ratio("access log on / off, mock 2.0 (req/s)", rows["gateway mock 2.0, access log on"], rows["gateway mock 2.0"], throughput)

	var best float64
	for _, r := range rows["bare fasthttp"] {
		best = max(best, r.Throughput)
	}
	half := best / 2
	s.note("open loop at %.0f req/s: half the bare server's saturating rate", half)
	open, err := s.measure(ctx, []row{
		{name: "bare fasthttp @ half rate", url: bare + "/hello/world?x=1", rate: half},
		{name: "gateway mock 2.0 @ half rate", url: gw + "/hello/world?x=1", rate: half},
	})
	if err != nil {
		return err
	}
	s.ratio("gateway / bare p99 at half rate", open["gateway mock 2.0 @ half rate"], open["bare fasthttp @ half rate"], p99)
	return nil
}

func runHTTP(ctx context.Context, s *session) error {
	fn, err := s.fixed(FixedResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"},
		Body: `{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"Hello from Portico!"}`})
	if err != nil {
		return err
	}
	bare, err := s.fixed(helloResponse)
	if err != nil {
		return err
	}
	gw, err := s.gateway("http", fmt.Sprintf(`
functions:
  hello: {backend: http, url: "%s/2015-03-31/functions/hello/invocations"}
routes:
  - {route: "GET /hello/{name}", function: hello}
`, fn))
	if err != nil {
		return err
	}
	rows := []row{
		{name: "bare fasthttp", url: bare + "/hello/world?x=1"},
		{name: "gateway http backend", url: gw + "/hello/world?x=1"},
	}
	if ng, err := s.nginx(fn); err != nil {
		s.note("nginx row skipped: %v", err)
	} else {
		rows = append(rows, row{name: "nginx proxy", url: ng + "/hello/world?x=1"})
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	s.ratio("gateway http / bare (req/s)", res["gateway http backend"], res["bare fasthttp"], throughput)
	if res["nginx proxy"] != nil {
		s.ratio("gateway http / nginx proxy (req/s)", res["gateway http backend"], res["nginx proxy"], throughput)
	}
	return nil
}

// nginx starts nginx proxying to upstream with keep-alive, access log off,
// one worker per target core.
func (s *session) nginx(upstream string) (string, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return "", fmt.Errorf("nginx not installed (apt-get install nginx)")
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	workers := "auto"
	if s.cpus != "" {
		workers = fmt.Sprint(cpuCount(s.cpus))
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes %[1]s;
pid %[2]s/nginx.pid;
error_log %[2]s/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
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
`, workers, s.dir, strings.TrimPrefix(upstream, "http://"), addr)
	file := filepath.Join(s.dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		return "", err
	}
	argv := []string{bin, "-c", file, "-p", s.dir}
	if s.cpus != "" {
		argv = append([]string{"taskset", "-c", s.cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	stop, err := startDaemon(cmd)
	if err != nil {
		return "", err
	}
	s.cleanup = append(s.cleanup, stop)
	if !waitListening(addr, 5*time.Second) {
		return "", fmt.Errorf("nginx did not start listening on %s", addr)
	}
	return "http://" + addr, nil
}

// cpuCount counts the cores in a taskset list such as "1-3" or "1".
func cpuCount(list string) int {
	var lo, hi int
	if n, _ := fmt.Sscanf(list, "%d-%d", &lo, &hi); n == 2 {
		return hi - lo + 1
	}
	return 1
}
