package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/bench"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

const goodConfig = `
functions:
  echo: {backend: builtin, handler: echo}
  teapot: {backend: builtin, handler: mock, response: {statusCode: 418}}
routes:
  - {route: "GET /pets/{id}", function: echo, payload: "1.0", timeout: 5s}
  - {route: $default, function: teapot}
`

func TestCommands(t *testing.T) {
	good := writeConfig(t, goodConfig)
	bad := writeConfig(t, "functions: {echo: {backend: builtin, handler: echo, timout: 1s}}\nroutes: [{route: GET /a, function: nope}]\n")
	cases := []struct {
		name      string
		args      []string
		code      int
		stdout    []string // substrings
		stderr    []string
		notStdout string
	}{
		{"validate ok", []string{"validate", "--config", good}, 0, []string{good + ": ok"}, nil, ""},
		{"validate bad", []string{"validate", "--config", bad}, 1, nil, []string{
			bad + `:1:53: functions.echo: unknown field "timout" (did you mean "timeout"?)`,
			bad + `:2:36: routes[0].function: unknown function "nope"`}, ""},
		{"validate without config", []string{"validate"}, 2, nil, []string{"--config is required"}, ""},
		{"routes", []string{"routes", "--config", good}, 0, []string{
			"ROUTE", "GET /pets/{id}  echo      builtin  1.0      5s", "$default        teapot    builtin  2.0      30s"}, nil, ""},
		{"invoke", []string{"invoke", "--config", good, "teapot"}, 0, []string{`{"statusCode":418}`}, nil, ""},
		{"invoke flags after the name", []string{"invoke", "teapot", "--config", good, "--payload", `{"a":1}`}, 0, []string{`{"statusCode":418}`}, nil, ""},
		{"invoke echo payload", []string{"invoke", "--config", good, "echo", "--payload", `{"a":1}`}, 0, []string{`"body":"{\"a\":1}"`}, nil, ""},
		{"invoke unknown", []string{"invoke", "--config", good, "nope"}, 1, nil, []string{`backend: function not found: "nope"`}, ""},
		{"invoke bad payload", []string{"invoke", "--config", good, "echo", "--payload", `{`}, 1, nil, []string{"InvalidRequestContentException: Could not parse request body into json"}, ""},
		{"invoke dry run", []string{"invoke", "--config", good, "echo", "--type", "DryRun"}, 0, []string{`{"StatusCode":204,"RequestId":"`}, nil, ""},
		{"invoke bad type", []string{"invoke", "--config", good, "echo", "--type", "Later"}, 1, nil, []string{"ValidationException"}, ""},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}

// TestInvokeEventIsDeliveredBeforeExit: without Redis, `invoke --type
// Event` answers 202 and delivers the event (here to an HTTP function)
// before the command exits.
func TestInvokeEventIsDeliveredBeforeExit(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- string(body)
		io.WriteString(w, `"done"`) //nolint:errcheck
	}))
	defer srv.Close()
	file := writeConfig(t, "functions:\n  worker: {backend: http, url: "+srv.URL+"}\nroutes: [{route: $default, function: worker}]\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"invoke", "--config", file, "worker", "--type", "Event", "--payload", `{"job":7}`}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), `{"StatusCode":202,"RequestId":"`) {
		t.Errorf("stdout %q, want the 202 answer", stdout.String())
	}
	select {
	case body := <-got:
		if body != `{"job":7}` {
			t.Errorf("delivered %q", body)
		}
	default:
		t.Error("the command exited before the event was delivered")
	}
}

func TestBenchCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go bench.ServeFixed(ctx, ln, bench.FixedResponse{Status: 200, Body: "ok"}) //nolint:errcheck
	url := "http://" + ln.Addr().String() + "/x"

	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "-n", "200", "-c", "4", "-m", "POST", "-H", "X-A: 1", "--body", "hi", "--json", url}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res struct {
		Requests int64               `json:"requests"`
		Status   map[string]int64    `json:"status"`
		Latency  struct{ P99 int64 } `json:"latency_us"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	if res.Requests != 200 || res.Status["200"] != 200 {
		t.Errorf("requests %d status %v", res.Requests, res.Status)
	}

	stdout.Reset()
	html := filepath.Join(t.TempDir(), "r.html")
	if code := run([]string{"bench", "-n", "50", "-c", "2", "--html", html, url + "@2", url + "@1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "req/s") {
		t.Errorf("table:\n%s", stdout.String())
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("html report: %v", err)
	}

	stdout.Reset()
	if code := run([]string{"bench", "--list"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "coldstart") {
		t.Errorf("--list: %d %s", code, stdout.String())
	}
	if code := run([]string{"bench"}, &stdout, &stderr); code != 2 {
		t.Errorf("no target: exit %d, want 2", code)
	}
}

// TestSchedulesCommand prints each schedule's next fire times from a fixed
// instant, in UTC and in the schedule's zone (New York: EST in December).
func TestSchedulesCommand(t *testing.T) {
	file := writeConfig(t, `
functions: {job: {backend: builtin, handler: echo}}
schedules:
  - {name: weekdays, function: job, expression: "cron(0 9 ? * MON-FRI *)", timezone: America/New_York}
  - {name: tick, function: job, expression: "rate(5 minutes)"}
  - {name: past, function: job, expression: "cron(0 0 1 1 ? 2020)"}
`)
	now := func() time.Time { return time.Date(2026, 12, 4, 13, 2, 0, 0, time.UTC) } // a Friday
	var out bytes.Buffer
	if err := schedules([]string{"--config", file, "-n", "2"}, &out, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"weekdays  job       cron(0 9 ? * MON-FRI *)  2026-12-04T14:00:00Z  2026-12-04 09:00:00 EST",
		"weekdays  job       cron(0 9 ? * MON-FRI *)  2026-12-07T14:00:00Z  2026-12-07 09:00:00 EST",
		"tick      job       rate(5 minutes)          2026-12-04T13:05:00Z  2026-12-04 13:05:00 UTC",
		"past      job       cron(0 0 1 1 ? 2020)     (never fires again)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
