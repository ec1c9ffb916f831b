package importer

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/platform"
)

// importTestdata imports testdata/serverless/NAME/serverless.yml with no
// environment and the given options.
func importTestdata(t *testing.T, name string, opts ServerlessOptions) (*App, []Note, []byte) {
	t.Helper()
	file := filepath.Join("testdata", "serverless", name, "serverless.yml")
	data := readFile(t, file)
	if opts.Lookup == nil {
		opts.Lookup = func(string) (string, bool) { return "", false }
	}
	app, notes, err := ImportServerless(file, data, opts)
	if err != nil {
		t.Fatalf("ImportServerless(%s): %v", file, err)
	}
	out, err := Marshal(app, file)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return app, notes, out
}

// TestServerlessTestdataParses imports every serverless.yml of testdata,
// in both flavours, and checks that platform.Parse accepts the config, as
// if written beside the serverless.yml.
func TestServerlessTestdataParses(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "serverless"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		for _, flavour := range []string{"", "http", "rest"} {
			t.Run(d.Name()+"/"+flavour, func(t *testing.T) {
				_, notes, out := importTestdata(t, d.Name(), ServerlessOptions{Flavour: flavour})
				if testing.Verbose() && flavour == "" {
					t.Logf("%s", out)
					for _, n := range notes {
						t.Logf("note %s", n)
					}
				}
				cfgFile := filepath.Join("testdata", "serverless", d.Name(), "portico.yaml")
				if _, err := platform.Parse(cfgFile, out, func(string) (string, bool) { return "", false }); err != nil {
					t.Errorf("platform.Parse rejects the import:\n%v\n%s", err, out)
				}
				for _, n := range notes {
					if n.File == "" || n.Line <= 0 || n.Key == "" || n.Reason == "" || strings.Contains(n.Reason, "%!") {
						t.Errorf("incomplete note %+v", n)
					}
				}
			})
		}
	}
	if n < 10 {
		t.Errorf("%d serverless.yml files in testdata, want at least 10", n)
	}
}

// routeLines renders routes as "ROUTE -> FUNCTION PAYLOAD [AUTHORIZER SCOPES]".
func routeLines(rs []Route) []string {
	var out []string
	for _, r := range rs {
		l := r.Route + " -> " + r.Function + " " + r.Payload
		if r.Authorizer != "" {
			l += " auth=" + r.Authorizer
		}
		if len(r.Scopes) > 0 {
			l += " scopes=" + strings.Join(r.Scopes, ",")
		}
		out = append(out, l)
	}
	return out
}

// TestImportServerlessGolden checks what a few imports carry over: routes,
// functions and the notes of what they leave out.
func TestImportServerlessGolden(t *testing.T) {
	type fnWant struct {
		name                   string
		runtime, code, handler string
		timeout                time.Duration
		memory                 int
		env                    map[string]string
		backend, functionName  string
	}
	for _, tc := range []struct {
		name, dir string
		opts      ServerlessOptions
		api       string
		stage     string
		routes    []string
		functions []fnWant
		notes     []string // "KEY: part of the reason"
		check     func(t *testing.T, app *App)
	}{{
		name: "rest with token authorizer and cors",
		dir:  "node-auth0-custom-authorizers",
		api:  "rest", stage: "dev",
		routes: []string{
			"POST /api/public -> publicEndpoint 1.0",
			"POST /api/private -> privateEndpoint 1.0 auth=auth",
			"OPTIONS /api/public -> cors-preflight 1.0",
			"OPTIONS /api/private -> cors-preflight 1.0",
		},
		functions: []fnWant{{name: "auth", backend: "process", runtime: "nodejs18.x", code: ".", handler: "handler.auth", timeout: 6 * time.Second, memory: 1024}},
		notes: []string{
			"provider.environment.AUTH0_CLIENT_ID: not read by the import",
			"provider.environment.AUTH0_CLIENT_PUBLIC_KEY: not read by the import",
			"plugins: plugins do not run",
			"resources: needs AWS",
			"functions.privateEndpoint.events[0].http.authorizer: TOKEN authorizer runs as a REQUEST authorizer",
		},
		check: func(t *testing.T, app *App) {
			a := app.Authorizers["auth"]
			if a == nil || a.Type != "lambda" || a.Function != "auth" || time.Duration(a.ResultTTL) != 300*time.Second ||
				!slices.Equal(a.IdentitySource, []string{"method.request.header.Authorization"}) {
				t.Errorf("authorizer auth = %+v, want lambda auth, 300s, method.request.header.Authorization", a)
			}
			mock := app.Functions["cors-preflight"]
			h, _ := mock.Response.(map[string]any)["headers"].(map[string]string)
			if mock.Backend != "builtin" || h["Access-Control-Allow-Methods"] != "OPTIONS,POST" || h["Access-Control-Allow-Origin"] != "*" {
				t.Errorf("preflight mock = %+v", mock)
			}
		},
	}, {
		name: "go1.x packages from the Makefile",
		dir:  "golang-http-get-post",
		api:  "rest", stage: "dev",
		routes: []string{"GET /get/{name} -> get 1.0", "GET /getQ -> getquery 1.0", "POST /post -> post 1.0"},
		functions: []fnWant{
			{name: "get", backend: "process", runtime: "go", code: "getFolder", timeout: 6 * time.Second, memory: 1024},
			{name: "post", backend: "process", runtime: "go", code: "postFolder", timeout: 6 * time.Second, memory: 1024},
			{name: "getquery", backend: "process", runtime: "go", code: ".", timeout: 6 * time.Second, memory: 1024},
		},
		notes: []string{
			"functions.getquery.handler: its Go package was not found",
			"functions.get.events[0].http.request: not carried over",
			"package.exclude: patterns, include and exclude are not applied",
		},
	}, {
		name: "go1.x packages named as the executable",
		dir:  "golang-simple-http-endpoint",
		api:  "rest", stage: "dev",
		routes:    []string{"GET /hello -> hello 1.0", "GET /world -> world 1.0"},
		functions: []fnWant{{name: "hello", backend: "process", runtime: "go", code: "hello", timeout: 6 * time.Second, memory: 1024}},
	}, {
		name: "mixed served as an HTTP API",
		dir:  "mixed",
		api:  "http",
		routes: []string{
			"GET /orders -> list 2.0",
			"GET /orders/{id} -> get 2.0 auth=users scopes=orders:read",
		},
		functions: []fnWant{
			{name: "list", backend: "process", runtime: "python3.12", code: ".", handler: "src/orders.list", timeout: 10 * time.Second, memory: 256,
				env: map[string]string{"TABLE": "orders-dev-orders", "LOG_LEVEL": "info"}},
			{name: "get", backend: "process", runtime: "python3.12", code: ".", handler: "src/orders.get", timeout: 10 * time.Second, memory: 1024,
				env: map[string]string{"TABLE": "orders-dev-orders", "LOG_LEVEL": "debug"}},
		},
		notes: []string{
			"functions.list.events[1].http: served with --api rest",
			"functions.get.events[1].http: served with --api rest",
			"provider.apiGateway.binaryMediaTypes: served with --api rest",
			"provider.environment.SECRET: the ssm source needs AWS",
			"provider.iam: IAM",
			"functions.worker.layers: layers are not installed",
			"functions.worker.events[2].s3: s3 events are not served locally",
		},
		check: func(t *testing.T, app *App) {
			if c := app.CORS; c == nil || !slices.Equal(c.AllowMethods, []string{"OPTIONS", "GET"}) || !slices.Equal(c.AllowOrigins, []string{"*"}) {
				t.Errorf("cors = %+v, want the Framework's defaults with OPTIONS and GET", c)
			}
			if a := app.Authorizers["users"]; a == nil || a.Type != "jwt" || a.Issuer != "https://id.example.com/" || !slices.Equal(a.Audience, []string{"api"}) {
				t.Errorf("authorizer users = %+v", a)
			}
			want := []EventSource{{Function: "worker", Type: "sqs", QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dev-jobs",
				BatchSize: 5, FunctionResponseTypes: []string{"ReportBatchItemFailures"}}}
			if len(app.EventSources) != 1 || app.EventSources[0].QueueURL != want[0].QueueURL || app.EventSources[0].BatchSize != 5 ||
				!slices.Equal(app.EventSources[0].FunctionResponseTypes, want[0].FunctionResponseTypes) {
				t.Errorf("eventSources = %+v, want %+v", app.EventSources, want)
			}
			if len(app.Schedules) != 1 || app.Schedules[0].Expression != "rate(5 minutes)" ||
				app.Schedules[0].Input.(map[string]any)["kind"] != "tick" {
				t.Errorf("schedules = %+v", app.Schedules)
			}
		},
	}, {
		name: "mixed served as a REST API at --stage prod",
		dir:  "mixed",
		opts: ServerlessOptions{Flavour: "rest", Stage: "prod"},
		api:  "rest", stage: "prod",
		routes: []string{
			"GET /orders -> list 1.0",
			"GET /orders/{id} -> get 1.0",
			"OPTIONS /orders -> cors-preflight 1.0",
		},
		functions: []fnWant{{name: "get", backend: "process", runtime: "python3.12", code: ".", handler: "src/orders.get", timeout: 10 * time.Second, memory: 1024,
			env: map[string]string{"TABLE": "orders-prod-orders", "LOG_LEVEL": "debug"}}},
		notes: []string{
			"functions.list.events[0].httpApi: served with --api http",
			"functions.get.events[0].httpApi: served with --api http",
			"provider.httpApi.cors: served with --api http",
		},
		check: func(t *testing.T, app *App) {
			if !slices.Equal(app.BinaryMediaTypes, []string{"image/png"}) {
				t.Errorf("binaryMediaTypes = %v", app.BinaryMediaTypes)
			}
			if want := "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-prod-jobs"; len(app.EventSources) != 1 || app.EventSources[0].QueueURL != want {
				t.Errorf("eventSources = %+v, want queue %s", app.EventSources, want)
			}
		},
	}, {
		name: "HTTP API lambda authorizers",
		dir:  "offline-request-authorizer",
		api:  "http",
		routes: []string{
			"GET /user1-header -> user1 2.0 auth=requestAuthorizer1FormatHeader",
			"GET /user1-no-authorizer -> user1NoAuthorizer 1.0",
			"GET /user2-header -> user2 2.0 auth=requestAuthorizer2FormatHeader",
			"GET /user2simple-header -> user2simple 2.0 auth=requestAuthorizer2FormatSimpleHeader",
			"GET /user2simple-header-alternative -> user2simpleAlternative 2.0 auth=requestAuthorizer2FormatSimpleHeaderAlternative",
			"GET /user1-querystring -> user1WithQueryString 2.0 auth=requestAuthorizer1FormatQueryString",
			"GET /user2-querystring -> user2WithQueryString 2.0 auth=requestAuthorizer2FormatQueryString",
			"GET /user2simple-querystring -> user2simpleWithQueryString 2.0 auth=requestAuthorizer2FormatSimpleQueryString",
			"GET /user2-no-authorizer -> user2NoAuthorizer 2.0",
		},
		check: func(t *testing.T, app *App) {
			a := app.Authorizers["requestAuthorizer2FormatSimpleHeaderAlternative"]
			if a == nil || a.Type != "lambda" || a.Function != "requestAuthorizer2FormatSimpleHeader" || a.Payload != "2.0" || !a.SimpleResponses ||
				!slices.Equal(a.IdentitySource, []string{"$request.header.AuthorizationSimple"}) {
				t.Errorf("authorizer = %+v", a)
			}
			if a := app.Authorizers["requestAuthorizer1FormatQueryString"]; a == nil || a.Payload != "1.0" || a.SimpleResponses {
				t.Errorf("authorizer 1.0 = %+v", a)
			}
		},
	}, {
		name:   "catch-all",
		dir:    "fixture-http-api-catch-all",
		api:    "http",
		routes: []string{"$default -> foo 2.0", "ANY /foo -> other 2.0"},
		notes:  []string{"provider.runtime: nodejs12.x is not among Portico's runtimes: run as nodejs18.x"},
	}, {
		name: "sqs arn from Fn::Join",
		dir:  "fixture-sqs",
		check: func(t *testing.T, app *App) {
			if want := "https://sqs.us-east-1.amazonaws.com/123456789012/service-basic"; len(app.EventSources) != 1 || app.EventSources[0].QueueURL != want {
				t.Errorf("eventSources = %+v, want queue %s", app.EventSources, want)
			}
		},
	}, {
		name:  "schedules",
		dir:   "fixture-schedule",
		notes: []string{"functions.scheduleExtended.events[0].schedule.inputTransformer: not carried over"},
		check: func(t *testing.T, app *App) {
			var got []string
			for _, s := range app.Schedules {
				got = append(got, s.Name+" "+s.Function+" "+s.Expression)
			}
			want := []string{"scheduleMinimal-schedule-1 scheduleMinimal rate(1 minute)", "scheduleExtended-schedule-2 scheduleExtended cron(* * * * ? *)"}
			if !slices.Equal(got, want) {
				t.Errorf("schedules = %q, want %q", got, want)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
			app, notes, _ := importTestdata(t, tc.dir, tc.opts)
			if app.API != tc.api || app.Stage != tc.stage {
				t.Errorf("api %q stage %q, want %q %q", app.API, app.Stage, tc.api, tc.stage)
			}
			if got := routeLines(app.Routes); tc.routes != nil && !slices.Equal(got, tc.routes) {
				t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.routes, "\n"))
			}
			for _, w := range tc.functions {
				f := app.Functions[w.name]
				if f == nil {
					t.Errorf("no function %s", w.name)
					continue
				}
				if f.Backend != w.backend || f.Runtime != w.runtime || f.Code != w.code || f.Handler != w.handler ||
					time.Duration(f.Timeout) != w.timeout || f.Memory != w.memory || f.FunctionName != w.functionName ||
					(w.env != nil && !maps.Equal(f.Env, w.env)) {
					t.Errorf("function %s = %+v, want %+v", w.name, *f, w)
				}
			}
			for _, w := range tc.notes {
				key, reason, _ := strings.Cut(w, ": ")
				found := false
				for _, n := range notes {
					found = found || n.Key == key && strings.Contains(n.Reason, reason)
				}
				if !found {
					t.Errorf("no note %q among:\n%s", w, noteLines(notes))
				}
			}
			if tc.check != nil {
				tc.check(t, app)
			}
		})
	}
}

func noteLines(notes []Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(n.String() + "\n")
	}
	return b.String()
}

// TestServerlessQueueNameCycle imports an sqs event whose queue names
// itself (QueueName: !GetAtt Q.Arn, or through Fn::Sub): the import must
// end, with a note, instead of recursing until the stack overflows.
func TestServerlessQueueNameCycle(t *testing.T) {
	for _, name := range []string{"!GetAtt Q.Arn", "!Sub '${Q.Arn}-x'", "{'Fn::Join': ['', [!GetAtt Q.Arn]]}"} {
		doc := "service: s\nprovider: {name: aws, runtime: nodejs20.x}\nfunctions:\n  f:\n    handler: h.f\n" +
			"    events:\n      - sqs: {arn: !GetAtt Q.Arn}\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n" +
			"      Properties:\n        QueueName: " + name + "\n"
		app, notes, err := ImportServerless("serverless.yml", []byte(doc), ServerlessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(app.EventSources) != 0 || !hasNote(notes, "functions.f.events[0]", "") {
			t.Errorf("QueueName %s: event sources %+v, notes %v; want it left out with a note", name, app.EventSources, notes)
		}
	}
}

// TestServerlessScheduleNamesUnique gives two schedules the same name: the
// config refuses duplicates, so the import renames the second, with a note.
func TestServerlessScheduleNamesUnique(t *testing.T) {
	doc := "service: s\nprovider: {name: aws, runtime: nodejs20.x}\nfunctions:\n" +
		"  a: {handler: h.a, events: [{schedule: {rate: rate(1 minute), name: tick}}]}\n" +
		"  b: {handler: h.b, events: [{schedule: {rate: rate(1 minute), name: tick}}, {schedule: {rate: [rate(2 minutes), rate(3 minutes)]}}]}\n" +
		"  b-schedule-3: {handler: h.c, events: [{schedule: {rate: rate(1 minute), name: b-schedule-2}}]}\n"
	app, notes, err := ImportServerless("serverless.yml", []byte(doc), ServerlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range app.Schedules {
		if seen[s.Name] {
			t.Errorf("schedule name %q twice: %+v", s.Name, app.Schedules)
		}
		seen[s.Name] = true
	}
	if len(app.Schedules) != 5 || !hasNote(notes, "functions.b.events[0].schedule", "tick") {
		t.Errorf("schedules %+v, notes %v; want 5, the second tick renamed with a note", app.Schedules, notes)
	}
	out, err := Marshal(app, "serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.Parse(filepath.Join(t.TempDir(), "portico.yaml"), out, func(string) (string, bool) { return "", false }); err != nil {
		t.Errorf("platform.Parse rejects the import:\n%v\n%s", err, out)
	}
}

// TestServerlessQueueWithoutName imports an sqs event on a queue of
// resources: that CloudFormation names (no QueueName): a note, no panic.
func TestServerlessQueueWithoutName(t *testing.T) {
	doc := "service: s\nprovider: {name: aws, runtime: nodejs20.x}\nfunctions:\n  f:\n    handler: h.f\n" +
		"    events:\n      - sqs: {arn: !GetAtt Q.Arn}\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
	app, notes, err := ImportServerless("serverless.yml", []byte(doc), ServerlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.EventSources) != 0 || !hasNote(notes, "functions.f.events[0]", "no QueueName") {
		t.Errorf("event sources %+v, notes %v; want it left out with a note", app.EventSources, notes)
	}
}

// TestServerlessSubQueueARN reads an sqs arn written with !Sub: the
// variable resolver keeps the tag, so the pseudo parameters are evaluated.
func TestServerlessSubQueueARN(t *testing.T) {
	doc := "service: s\nprovider: {name: aws, runtime: nodejs20.x, region: eu-west-1}\nfunctions:\n  f:\n    handler: h.f\n" +
		"    events:\n      - sqs: {arn: !Sub 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${self:service}-q'}\n"
	app, notes, err := ImportServerless("serverless.yml", []byte(doc), ServerlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "https://sqs.eu-west-1.amazonaws.com/123456789012/s-q"
	if len(app.EventSources) != 1 || app.EventSources[0].QueueURL != want {
		t.Errorf("event sources %+v, notes %v; want the queue %s", app.EventSources, notes, want)
	}
}
