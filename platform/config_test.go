package platform

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidConfigs: each testdata/invalid-*.yaml has one problem, reported
// with file, line, column and field path.
func TestInvalidConfigs(t *testing.T) {
	cases := []struct{ file, want string }{
		{"invalid-rest-key-without-plan.yaml", "testdata/invalid-rest-key-without-plan.yaml:4:11: apiKeys[0].usagePlan: required on a REST API: API Gateway refuses (403) a key that is in no usage plan"},
		{"invalid-throttle-apikey-without-authorizer.yaml", "testdata/invalid-throttle-apikey-without-authorizer.yaml:3:72: routes[0].throttle.key: apikey needs an apikey authorizer on the route: without one every request shares one bucket"},
		{"invalid-throttle-key-only.yaml", "testdata/invalid-throttle-key-only.yaml:3:47: routes[0].throttle: key ip without rate and burst: give both (rate 0, burst 0 would block every request)"},
		{"invalid-async-destination.yaml", "testdata/invalid-async-destination.yaml:2:75: functions.worker.async.onFailure.function: unknown function \"dead-leters\" (did you mean \"dead-letters\"?)"},
		{"invalid-async-destination-cycle.yaml", "testdata/invalid-async-destination-cycle.yaml:2:74: functions.audit.async.onSuccess.function: destinations lead back to this function (audit → audit): each record carries the one before it, so they would grow without end"},
		{"invalid-async-settings.yaml", "testdata/invalid-async-settings.yaml:1:18: async.workers: must not be negative"},
		{"invalid-billing-granularity.yaml", "testdata/invalid-billing-granularity.yaml:1:24: billing.granularity: must be a whole number of milliseconds, e.g. 1ms or 100ms"},
		{"invalid-billing-architecture.yaml", "testdata/invalid-billing-architecture.yaml:1:25: billing.architecture: must be x86_64 or arm64"},
		{"invalid-invokeapi-open.yaml", "testdata/invalid-invokeapi-open.yaml:1:21: invokeApi.listen: \"0.0.0.0:3001\" is not a loopback address: set credentials, or allowUnsigned: true to serve unsigned requests to the network"},
		{"invalid-redis-url.yaml", "testdata/invalid-redis-url.yaml:1:14: redis.url: want redis://host:port/db, rediss:// or unix://, got scheme \"http\""},
		{"invalid-schedule.yaml", "testdata/invalid-schedule.yaml:3:48: schedules[0].expression: cron(0 3 * * * *): \"*\" in both day-of-month and day-of-week: one of them must be \"?\"\n" +
			"testdata/invalid-schedule.yaml:4:12: schedules[1].name: schedule \"nightly\" is already schedules[0]\n" +
			"testdata/invalid-schedule.yaml:4:31: schedules[1].function: unknown function \"jobs\" (did you mean \"job\"?)\n" +
			"testdata/invalid-schedule.yaml:4:49: schedules[1].expression: rate(5 minute): a value above 1 takes the plural unit \"minutes\""},
		{"invalid-event-source-visibility.yaml", "testdata/invalid-event-source-visibility.yaml:4:5: eventSources[0].visibilityTimeout: 30s is shorter than function slow's timeout 2m0s: an entry would be claimed again while it runs; set visibilityTimeout to at least 2m0s"},
		{"invalid-admin-token.yaml", "testdata/invalid-admin-token.yaml:1:16: admin.token: needs admin.listen: without a listener there is nothing to guard"},
		{"invalid-bad-api.yaml", "testdata/invalid-bad-api.yaml:1:6: api: want http or rest, got \"graphql\""},
		{"invalid-bad-duration.yaml", "testdata/invalid-bad-duration.yaml:2:12: limits.timeout: invalid duration \"30x\": want a number with a unit, such as \"30s\", \"250ms\" or \"1m30s\""},
		{"invalid-bad-payload.yaml", "testdata/invalid-bad-payload.yaml:3:46: routes[0].payload: want \"2.0\" or \"1.0\", got \"3.0\""},
		{"invalid-bad-proxy.yaml", "testdata/invalid-bad-proxy.yaml:1:18: trustedProxies[0]: want an IP address or CIDR prefix, got \"10.0.0.0/33\""},
		{"invalid-duplicate-route.yaml", "testdata/invalid-duplicate-route.yaml:4:13: routes[1].route: duplicate route \"GET /a\" (also routes[0])"},
		{"invalid-field-for-other-backend.yaml", "testdata/invalid-field-for-other-backend.yaml:2:48: functions.echo.url: not used by backend builtin"},
		{"invalid-greedy-not-last.yaml", "testdata/invalid-greedy-not-last.yaml:3:13: routes[0].route: malformed route \"GET /{proxy+}/x\": greedy variable {proxy+} must be the last segment"},
		{"invalid-malformed-route.yaml", "testdata/invalid-malformed-route.yaml:3:13: routes[0].route: malformed route \"GET pets\": the path must start with /"},
		{"invalid-mock-without-response.yaml", "testdata/invalid-mock-without-response.yaml:1:16: functions.m.response: required for the mock builtin"},
		{"invalid-no-routes.yaml", "testdata/invalid-no-routes.yaml: routes: no routes, schedules, eventSources or invokeApi: nothing would invoke the functions; add a route, e.g. {route: $default, function: NAME}, or invokeApi: {listen: 127.0.0.1:3001}"},
		{"invalid-process-memory.yaml", "testdata/invalid-process-memory.yaml:2:55: functions.f.memory: want 128 to 10240 MB, got 64"},
		{"invalid-process-runtime.yaml", "testdata/invalid-process-runtime.yaml:2:34: functions.f.runtime: unknown runtime \"nodejs19.x\" (want one of go, provided.al2023, provided.al2, provided, nodejs18.x, nodejs20.x, nodejs22.x, nodejs24.x, python3.9, python3.10, python3.11, python3.12, python3.13, python3.14)"},
		{"invalid-process-handler.yaml", "testdata/invalid-process-handler.yaml:2:67: functions.f.handler: want MODULE.FUNCTION, e.g. app.lambda_handler or src/app.lambda_handler, got \"app\""},
		{"invalid-process-code-without-runtime.yaml", "testdata/invalid-process-code-without-runtime.yaml:2:6: functions.f.runtime: required with code: one of go, provided.al2023, provided.al2, provided, nodejs18.x, nodejs20.x, nodejs22.x, nodejs24.x, python3.9, python3.10, python3.11, python3.12, python3.13, python3.14"},
		{"invalid-process-interpreter.yaml", "testdata/invalid-process-interpreter.yaml:2:63: functions.f.interpreter: only for the nodejs* and python3.* runtimes, not go"},
		{"invalid-reserved-env.yaml", "testdata/invalid-reserved-env.yaml:2:65: functions.f.env.AWS_REGION: reserved by Lambda: it cannot be set"},
		{"invalid-rest-payload.yaml", "testdata/invalid-rest-payload.yaml:5:46: routes[0].payload: a REST API sends payload \"1.0\" only"},
		{"invalid-syntax.yaml", "testdata/invalid-syntax.yaml:2: did not find expected ',' or '}'"},
		{"invalid-unknown-backend.yaml", "testdata/invalid-unknown-backend.yaml:2:16: functions.f.backend: unknown backend \"lambada\" (want builtin, http, process or lambda)"},
		{"invalid-unknown-function.yaml", "testdata/invalid-unknown-function.yaml:3:31: routes[0].function: unknown function \"ecko\" (did you mean \"echo\"?)"},
		{"invalid-unknown-key.yaml", "testdata/invalid-unknown-key.yaml:2:43: functions.echo: unknown field \"timout\" (did you mean \"timeout\"?)"},
		{"invalid-unset-env.yaml", "testdata/invalid-unset-env.yaml:1:9: listen: ${PORTICO_TEST_UNSET_VARIABLE} is not set"},
		{"invalid-variable-conflict.yaml", "testdata/invalid-variable-conflict.yaml:4:13: routes[1].route: variable {name} conflicts with {id} of routes[0] at the same position"},
		{"invalid-wrong-type.yaml", "testdata/invalid-wrong-type.yaml:2:17: limits.maxBodyBytes: expected an integer, got \"lots\""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", tc.file))
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestConfigReportsEveryProblem: all problems at once, in file order.
func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := Parse("multi.yaml", []byte(`api: soap
limits: {timeout: -1s}
functions:
  echo: {backend: builtin, handler: echo}
  up: {backend: http}
routes:
  - {route: "GET /a", function: nope}
  - {route: "GET /a", function: echo}
  - {route: "FETCH /b", function: echo}
`), func(string) (string, bool) { return "", false })
	if err == nil {
		t.Fatal("loaded, want errors")
	}
	want := []string{
		`multi.yaml:1:6: api: want http or rest, got "soap"`,
		`multi.yaml:2:19: limits.timeout: must not be negative`,
		`multi.yaml:5:7: functions.up.url: required for backend http`,
		`multi.yaml:7:33: routes[0].function: unknown function "nope"`,
		`multi.yaml:8:13: routes[1].route: duplicate route "GET /a" (also routes[0])`,
		`multi.yaml:9:13: routes[2].route: malformed route "FETCH /b": unknown method "FETCH" (want one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConfigDefaultsAndEnv(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`
listen: "127.0.0.1:${PORT:-9999}"
apiId: "${API_ID}"
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: $default, function: echo}]
`), func(k string) (string, bool) {
		if k == "API_ID" {
			return "abc123", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.APIID != "abc123" {
		t.Errorf("expansion: listen %q apiId %q", cfg.Listen, cfg.APIID)
	}
	if cfg.API != "http" || cfg.Stage != "$default" || cfg.Limits.Timeout.String() != "30s" ||
		cfg.Limits.MaxBodyBytes != 10<<20 || cfg.Routes[0].Payload != "2.0" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestJSONConfig(t *testing.T) {
	_, err := Parse("c.json", []byte(`{
  "functions": {"echo": {"backend": "builtin", "handler": "echo"}},
  "routes": [{"route": "$default", "function": "echo", "payload": "9"}]
}`), nil)
	if err == nil || err.Error() != `c.json:3:67: routes[0].payload: want "2.0" or "1.0", got "9"` {
		t.Errorf("got %v", err)
	}
}

// TestDestinationCycles: a cycle through several functions is refused on
// each of its edges, whatever the conditions; a chain that ends is not.
func TestDestinationCycles(t *testing.T) {
	_, err := Parse("cycle.yaml", []byte(`invokeApi: {listen: 127.0.0.1:3001}
functions:
  orders: {backend: builtin, handler: echo, async: {onSuccess: {function: audit}, onFailure: {function: dead}}}
  audit: {backend: builtin, handler: echo, async: {onFailure: {function: orders}}}
  dead: {backend: builtin, handler: echo}
`), nil)
	want := "cycle.yaml:3:75: functions.orders.async.onSuccess.function: destinations lead back to this function (orders → audit → orders): each record carries the one before it, so they would grow without end\n" +
		"cycle.yaml:4:74: functions.audit.async.onFailure.function: destinations lead back to this function (audit → orders → audit): each record carries the one before it, so they would grow without end"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
