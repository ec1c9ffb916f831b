package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/platform"
)

// importFile imports a testdata template, failing the test on error.
func importFile(t *testing.T, file string, opts ...SAMOption) (*App, []Note) {
	t.Helper()
	data := readFile(t, file)
	app, notes, err := ImportSAM(file, data, nil, opts...)
	if err != nil {
		t.Fatalf("ImportSAM(%s): %v", file, err)
	}
	return app, notes
}

// TestImportSAMParses checks that every testdata template, in each API
// flavour, imports to a config the platform accepts, read from the
// template's folder as `portico serve --template` reads it.
func TestImportSAMParses(t *testing.T) {
	files, _ := filepath.Glob("testdata/sam/*.yaml")
	more, _ := filepath.Glob("testdata/sam/examples/*/template.yaml")
	written, _ := filepath.Glob("testdata/sam/written/*.yaml")
	files = append(append(files, more...), written...)
	if len(files) == 0 {
		t.Fatal("no testdata templates")
	}
	for _, file := range files {
		for _, flavour := range []string{"", "http", "rest"} {
			t.Run(filepath.Base(file)+"/"+flavour, func(t *testing.T) {
				data := readFile(t, file)
				app, notes, err := ImportSAM(file, data, nil, SAMFlavour(flavour))
				if err != nil {
					if flavour != "" && strings.Contains(err.Error(), "has no") {
						return // the template has no API of that flavour
					}
					t.Fatal(err)
				}
				out, err := Marshal(app, file)
				if err != nil {
					t.Fatal(err)
				}
				cfg := filepath.Join(filepath.Dir(file), "imported.yaml")
				if _, err := platform.Parse(cfg, out, func(string) (string, bool) { return "", false }); err != nil {
					t.Fatalf("platform.Parse: %v\n%s", err, out)
				}
				for _, n := range notes {
					if filepath.Dir(n.File) != filepath.Dir(file) || n.Key == "" || n.Reason == "" {
						t.Errorf("incomplete note %+v", n)
					}
				}
			})
		}
	}
}

func routeKeys(app *App) []string {
	var out []string
	for _, r := range app.Routes {
		out = append(out, r.Route+" -> "+r.Function+" "+r.Payload+" "+r.Authorizer)
	}
	return out
}

func TestImportSAMHTTPAuthorizers(t *testing.T) {
	app, _ := importFile(t, "testdata/sam/serverless-http-props.yaml")
	if got, want := routeKeys(app), []string{"GET /requestauthorizer -> HelloWorldFunction 2.0 RequestAuthorizerV2"}; !slices.Equal(got, want) {
		t.Errorf("routes: got %q, want %q", got, want)
	}
	a := app.Authorizers["RequestAuthorizerV2Simple"]
	if a == nil || a.Type != "lambda" || a.Function != "AuthorizerFunctionSimple" || !a.SimpleResponses ||
		!slices.Equal(a.IdentitySource, []string{"$request.header.header", "$request.querystring.query"}) {
		t.Errorf("RequestAuthorizerV2Simple: got %+v", a)
	}
	if app.Stage != "http" || app.API != "http" {
		t.Errorf("api %q stage %q, want http http", app.API, app.Stage)
	}
	if got := app.Functions["AuthorizerFunction"].Handler; got != "app.auth_handler" {
		t.Errorf("handler from a parameter's default: got %q", got)
	}
}

func TestImportSAMFlavours(t *testing.T) {
	file := "testdata/sam/start-api-template.yaml"
	app, notes := importFile(t, file)
	if app.API != "rest" || app.Stage != "Prod" {
		t.Errorf("api %q stage %q, want rest Prod (SAM's implicit API)", app.API, app.Stage)
	}
	if !slices.Equal(app.BinaryMediaTypes, []string{"image/gif", "image/png"}) {
		t.Errorf("binaryMediaTypes: got %q (~1 is /)", app.BinaryMediaTypes)
	}
	if !hasNote(notes, "Globals.Api.Cors", "routes to CorsPreflight, CorsPreflight2") {
		t.Errorf("no note for the REST API's Cors: %v", notes)
	}
	for _, r := range app.Routes {
		if r.Payload != "1.0" {
			t.Errorf("%s: REST payload %q", r.Route, r.Payload)
		}
	}
	// SAM's Cors: "'*''" (sic) gives every path an OPTIONS method.
	i := slices.IndexFunc(app.Routes, func(r Route) bool { return r.Route == "OPTIONS /anyandall" })
	if i < 0 {
		t.Fatalf("no OPTIONS route for ANY /anyandall: %q", routeKeys(app))
	}
	pre := app.Functions[app.Routes[i].Function]
	want := map[string]any{"statusCode": 200, "body": "", "headers": map[string]any{
		"Access-Control-Allow-Origin": "*'", "Access-Control-Allow-Methods": "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"}}
	if pre == nil || pre.Backend != "builtin" || pre.Handler != "mock" || fmt.Sprint(pre.Response) != fmt.Sprint(want) {
		t.Errorf("preflight: got %+v, want response %v", pre, want)
	}
	http, _ := importFile(t, "testdata/sam/start-api-template-http-api.yaml")
	if http.API != "http" || http.Stage != "" || http.BinaryMediaTypes != nil {
		t.Errorf("HTTP API: api %q stage %q binary %q", http.API, http.Stage, http.BinaryMediaTypes)
	}
}

func TestImportCloudFormationHTTPAPI(t *testing.T) {
	app, notes := importFile(t, "testdata/sam/cfn-http-api-with-normal-and-default-routes.yaml")
	want := []string{"$default -> HelloWorldFunction2 2.0 ", "GET /echoeventbody -> HelloWorldFunction 1.0 "}
	if got := routeKeys(app); !slices.Equal(got, want) {
		t.Errorf("routes: got %q, want %q", got, want)
	}
	if app.CORS == nil || !app.CORS.AllowCredentials || app.CORS.MaxAge != 600 {
		t.Errorf("cors: got %+v", app.CORS)
	}
	if f := app.Functions["HelloWorldFunction"]; f.Runtime != "python3.9" || f.Code != "." {
		t.Errorf("function: got %+v", f)
	}
	if !hasNote(notes, "Resources.HelloWorldFunction.Properties.Role", "IAM") {
		t.Errorf("no note for Role: %v", notes)
	}
}

// TestImportSAMExamples checks the imports of SAM's own examples: Go
// built from source, old runtimes on the local interpreter, Schedule and
// SQS events, a REST Lambda REQUEST authorizer, a DefinitionUri file, an
// inline function on AWS.
func TestImportSAMExamples(t *testing.T) {
	tests := []struct {
		example string
		check   func(t *testing.T, app *App, notes []Note)
	}{
		{"hello-world-golang", func(t *testing.T, app *App, notes []Note) {
			f := app.Functions["helloworld"]
			if f.Runtime != "go" || f.Code != "." || f.Handler != "" || f.Memory != 128 || f.Timeout != 3e9 {
				t.Errorf("function: got %+v", f)
			}
			if got := routeKeys(app); !slices.Equal(got, []string{"GET /hello -> helloworld 1.0 "}) {
				t.Errorf("routes: got %q", got)
			}
			if !hasNote(notes, "Resources.helloworld.Properties.Handler", "runtime: go") {
				t.Errorf("notes: %v", notes)
			}
		}},
		{"api_lambda_request_auth", func(t *testing.T, app *App, notes []Note) {
			a := app.Authorizers["MyLambdaRequestAuthorizer"]
			if a == nil || a.Function != "MyAuthFunction" || !slices.Equal(a.IdentitySource, []string{"method.request.querystring.auth"}) || a.ResultTTL != 300e9 {
				t.Errorf("authorizer: got %+v", a)
			}
			want := []string{"GET / -> MyFunction 1.0 MyLambdaRequestAuthorizer", "GET /users -> MyFunction 1.0 MyLambdaRequestAuthorizer"}
			if got := routeKeys(app); !slices.Equal(got, want) {
				t.Errorf("routes: got %q, want %q", got, want)
			}
			if app.Functions["MyFunction"].Runtime != "nodejs18.x" || !hasNote(notes, "Resources.MyFunction.Properties.Runtime", "nodejs12.x runs as nodejs18.x") {
				t.Errorf("runtime: %+v %v", app.Functions["MyFunction"], notes)
			}
		}},
		{"api_swagger_cors", func(t *testing.T, app *App, notes []Note) {
			// The swagger's aws_iam closes /{proxy+}, though its event names no authorizer.
			want := []string{"ANY / -> LambdaFunction 1.0 ", "ANY /{proxy+} -> LambdaFunction 1.0 aws-only"}
			if got := routeKeys(app); !slices.Equal(got, want) {
				t.Errorf("routes: got %q, want %q", got, want)
			}
			if app.StageVariables["LambdaFunctionName"] != "LambdaFunction" {
				t.Errorf("stageVariables: %v", app.StageVariables)
			}
			i := slices.IndexFunc(notes, func(n Note) bool { return strings.HasSuffix(n.Key, "x-amazon-apigateway-auth") })
			if i < 0 || filepath.Base(notes[i].File) != "swagger.yaml" || notes[i].Line != 31 {
				t.Errorf("the swagger file's IAM auth note: %v", notes)
			}
		}},
		{"http_api_cors", func(t *testing.T, app *App, notes []Note) {
			if f := app.Functions["HttpApiFunction"]; f.Backend != "lambda" || f.FunctionName != "HttpApiFunction" {
				t.Errorf("inline function: got %+v", f)
			}
			if got := routeKeys(app); !slices.Equal(got, []string{"$default -> HttpApiFunction 2.0 "}) {
				t.Errorf("routes: got %q", got)
			}
			if app.CORS == nil || !slices.Equal(app.CORS.ExposeHeaders, []string{"x-amzm-header"}) {
				t.Errorf("cors: %+v", app.CORS)
			}
		}},
		{"schedule", func(t *testing.T, app *App, notes []Note) {
			want := []Schedule{{Name: "ScheduledFunction-Timer", Function: "ScheduledFunction", Expression: "rate(5 minutes)"}}
			if !slices.EqualFunc(app.Schedules, want, func(a, b Schedule) bool {
				return a.Name == b.Name && a.Function == b.Function && a.Expression == b.Expression
			}) || app.API != "" {
				t.Errorf("schedules: got %+v, api %q", app.Schedules, app.API)
			}
		}},
		{"sqs", func(t *testing.T, app *App, notes []Note) {
			if len(app.EventSources) != 1 || app.EventSources[0].QueueURL != "https://sqs.us-east-1.amazonaws.com/123456789012/MyQueue" {
				t.Errorf("eventSources: got %+v", app.EventSources)
			}
			if !hasNote(notes, "Resources.MyQueue", "needs AWS") {
				t.Errorf("notes: %v", notes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			app, notes := importFile(t, filepath.Join("testdata/sam/examples", tt.example, "template.yaml"))
			tt.check(t, app, notes)
		})
	}
}

// TestImportSAMBothFlavours: a template with REST and HTTP events serves
// HTTP by default and lists the REST routes, or the other way round.
func TestImportSAMBothFlavours(t *testing.T) {
	file := "testdata/sam/template-rest-and-http-apis.yaml"
	app, notes := importFile(t, file)
	if got := routeKeys(app); app.API != "http" || !slices.Equal(got, []string{"GET /http-api -> HelloWorldFunction 2.0 "}) {
		t.Errorf("default: api %q routes %q", app.API, got)
	}
	if !hasNote(notes, "Resources.HelloWorldFunction.Properties.Events.IdBasePath", "served with --api rest") {
		t.Errorf("no note for the REST route: %v", notes)
	}
	rest, notes := importFile(t, file, SAMFlavour("rest"))
	if got := routeKeys(rest); rest.API != "rest" || rest.Stage != "Prod" || !slices.Equal(got, []string{"GET /rest-api -> HelloWorldFunction 1.0 ", "OPTIONS /rest-api -> CorsPreflight 1.0 "}) {
		t.Errorf("rest: api %q stage %q routes %q", rest.API, rest.Stage, got)
	}
	if rest.StageVariables["VarName"] != "varValue" || !slices.Equal(rest.BinaryMediaTypes, []string{"image/gif", "image/png"}) {
		t.Errorf("rest: Globals.Api not applied: %+v", rest)
	}
	if !hasNote(notes, "Resources.HelloWorldFunction.Properties.Events.PathWithAnyMethod", "served with --api http") {
		t.Errorf("no note for the HTTP route: %v", notes)
	}
	data, _ := os.ReadFile(file)
	if _, _, err := ImportSAM(file, data, nil, SAMFlavour("websocket")); err == nil {
		t.Error("an unknown flavour was accepted")
	}
}

// TestImportSAMDefinitionBody: an HTTP API's OpenAPI body adds its routes
// to the events', with each integration's payload format.
func TestImportSAMDefinitionBody(t *testing.T) {
	app, notes := importFile(t, "testdata/sam/swagger-template-http-api.yaml")
	want := []string{
		"GET /get -> MyHttpApiLambdaFunction 2.0 ",
		"GET /httpapi-payload-format-v1-property -> PayLoadFormatV1InPropertyHttpApiFunction 1.0 ",
		"GET /{proxy+} -> EchoEventHandlerHttpApiFunction 2.0 ",
		"ANY /httpapi-anyandall -> MyHttpApiLambdaFunction 2.0 ",
		"GET /httpapi-payload-format-v1 -> EchoEventHandlerHttpApiFunction 1.0 ",
		"GET /httpapi-payload-format-v2 -> EchoEventHandlerHttpApiFunction 2.0 ",
		"POST /httpapi-echobase64eventbody -> EchoBase64EventBodyFunction 2.0 ",
	}
	if got := routeKeys(app); !slices.Equal(got, want) {
		t.Errorf("routes:\ngot  %q\nwant %q", got, want)
	}
	if app.Stage != "dev-http" || app.StageVariables["VarNameHttpApi"] != "varValueV2" || app.CORS == nil || app.CORS.MaxAge != 42 {
		t.Errorf("settings: stage %q vars %v cors %+v", app.Stage, app.StageVariables, app.CORS)
	}
	if !hasNote(notes, "Resources.MyHttpApi.Properties.DefinitionBody.paths./httpapi-echoeventbody.post.x-amazon-apigateway-integration", "no uri") {
		t.Errorf("no note for the operation without uri: %v", notes)
	}
	if !hasNote(notes, "Globals.Api", "no API it applies to") {
		t.Errorf("no note for Globals.Api: %v", notes)
	}
}

// TestImportSAMJSON: a JSON template, with long-form intrinsics,
// conditions, parameters and overrides.
func TestImportSAMJSON(t *testing.T) {
	data := []byte(`{
  "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "Mem": {"Type": "Number", "Default": 256}},
  "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
  "Resources": {
    "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
      "CodeUri": "testdata", "Handler": "app.handler", "Runtime": "python3.12",
      "MemorySize": {"Ref": "Mem"},
      "Timeout": {"Fn::If": ["IsProd", 30, 10]},
      "Environment": {"Variables": {
        "STAGE": {"Fn::Sub": "${Stage}-${AWS::Region}"},
        "TEMPLATE": "${NOT_ENV}",
        "GONE": {"Ref": "AWS::NoValue"},
        "AWS_REGION": "eu-west-1"}},
      "Layers": ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"],
      "Events": {
        "Get": {"Type": "HttpApi", "Properties": {"Path": "/items/{id}", "Method": "get", "TimeoutInMillis": 5000}},
        "Nightly": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)", "ScheduleExpressionTimezone": "Europe/Paris", "Input": "{\"kind\": \"nightly\"}"}},
        "Bucket": {"Type": "S3", "Properties": {"Bucket": "b"}}}}},
    "Prod": {"Type": "AWS::Serverless::Function", "Condition": "IsProd", "Properties": {"CodeUri": ".", "Handler": "a.b", "Runtime": "python3.12"}}
  }}`)
	app, notes, err := ImportSAM("t.json", data, map[string]string{"Stage": "prod", "AWS::Region": "eu-west-3"})
	if err != nil {
		t.Fatal(err)
	}
	f := app.Functions["Fn"]
	if f.Memory != 256 || f.Timeout != 30e9 || f.Env["STAGE"] != "prod-eu-west-3" || f.Env["TEMPLATE"] != "${NOT_ENV}" || len(f.Env) != 2 {
		t.Errorf("function: %+v", f)
	}
	if app.Functions["Prod"] == nil {
		t.Error("the Prod function's condition holds with the override, but it was not imported")
	}
	if len(app.Routes) != 1 || app.Routes[0].Timeout != 5e9 || app.Routes[0].Route != "GET /items/{id}" {
		t.Errorf("routes: %+v", app.Routes)
	}
	if len(app.Schedules) != 1 || app.Schedules[0].Timezone != "Europe/Paris" {
		t.Errorf("schedules: %+v", app.Schedules)
	}
	for _, key := range []string{
		"Resources.Fn.Properties.Layers",
		"Resources.Fn.Properties.Events.Bucket",
		"Resources.Fn.Properties.Environment.Variables.AWS_REGION",
	} {
		if !slices.ContainsFunc(notes, func(n Note) bool { return n.Key == key && n.Line > 0 }) {
			t.Errorf("no note with a line for %s: %v", key, notes)
		}
	}
}

// TestImportCloudFormationAuthorizers: AWS::ApiGatewayV2 routes,
// integrations (payload from a parameter), REQUEST authorizers and stage.
func TestImportCloudFormationAuthorizers(t *testing.T) {
	app, notes := importFile(t, "testdata/sam/cfn-apigw-v2-authorizers.yaml")
	want := []string{
		"GET /requestauthorizerv2 -> HelloWorldFunction 2.0 RequestAuthorizerV2",
		"GET /requestauthorizerv2simple -> HelloWorldFunction 2.0 RequestAuthorizerV2Simple",
		"GET /requestauthorizerv1 -> HelloWorldFunction 2.0 RequestAuthorizerV1",
	}
	if got := routeKeys(app); !slices.Equal(got, want) || app.Stage != "prod" {
		t.Errorf("routes: got %q (stage %q), want %q", got, app.Stage, want)
	}
	if a := app.Authorizers["RequestAuthorizerV1"]; a == nil || a.Payload != "1.0" || a.Function != "AuthorizerFunction" || len(a.IdentitySource) != 2 {
		t.Errorf("RequestAuthorizerV1: got %+v", a)
	}
	if !app.Authorizers["RequestAuthorizerV2Simple"].SimpleResponses {
		t.Error("RequestAuthorizerV2Simple: simpleResponses not imported")
	}
	if !hasNote(notes, "Resources.Deployment", "ignored locally") {
		t.Errorf("notes: %v", notes)
	}
}
