package bench

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"time"
)

const limitsConfig = `
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {Content-Type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /open", function: hello}
  - {route: "GET /limited", function: hello, throttle: {rate: 1000000, burst: 1000000, key: ip}}
`

// runRateLimit compares an open route with rate-limited ones (a bucket per
// client IP, never exhausted), on the local store and, when redis-server is
// installed, on Redis.
func runRateLimit(ctx context.Context, s *session) error {
	locals, err := s.gateways("ratelimit-local", limitsConfig)
	if err != nil {
		return err
	}
	var rows []row
	for _, g := range locals {
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "open route", url: "/open"})...)
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "rate-limited (local)", url: "/limited"})...)
	}
	var redises []gatewayRun
	if redisURL, err := s.redis(); err != nil {
		s.note("redis row skipped: %v", err)
	} else {
		if redises, err = s.gateways("ratelimit-redis", fmt.Sprintf("ratelimit: {store: redis, redis: {url: %q}}\n%s", redisURL, limitsConfig)); err != nil {
			return err
		}
		rows = append(rows, rowsOn(redises, row{name: "rate-limited (redis)", url: "/limited", procs: []string{"redis"}})...)
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, g := range locals {
		s.ratio("rate-limited local / open"+g.suffix+" (req/s)", res["rate-limited (local)"+g.suffix], res["open route"+g.suffix], throughput)
	}
	for _, g := range redises {
		s.ratio("rate-limited redis / open"+g.suffix+" (req/s)", res["rate-limited (redis)"+g.suffix], res["open route"+g.suffix], throughput)
	}
	return nil
}

// redis starts a redis-server on a free port (pinned with the targets) and
// returns its URL.
func (s *session) redis() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not installed (apt-get install redis-server)")
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(addr)
	argv := []string{bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	if s.cpus != "" {
		argv = append([]string{"taskset", "-c", s.cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	stop, err := startDaemon(cmd)
	if err != nil {
		return "", err
	}
	s.cleanup = append(s.cleanup, stop)
	s.cpu.groups["redis"] = cmd.Process.Pid
	if !waitListening(addr, 5*time.Second) {
		return "", fmt.Errorf("redis-server did not start on %s", addr)
	}
	return "redis://" + addr + "/0", nil
}
