package importer

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/portico/portico/platform"
)

// closedSAM protects its API with IAM: /private takes the default,
// /iam names it, /public opens itself with NONE, /keyed needs an API
// key (which NONE does not lift). The CORS preflights
// take the default, as SAM adds it to them.
const closedSAM = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors: "'*'"
      Auth:
        DefaultAuthorizer: AWS_IAM
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.lambda_handler
      Runtime: python3.9
      Events:
        Private:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /private, Method: get}
        Iam:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /iam, Method: get, Auth: {Authorizer: AWS_IAM}}
        Public:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /public, Method: get, Auth: {Authorizer: NONE}}
        Keyed:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /keyed, Method: get, Auth: {Authorizer: NONE, ApiKeyRequired: true}}
`

// closedCFN is an HTTP API of plain CloudFormation whose one route needs
// IAM.
const closedCFN = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.9
      Handler: app.lambda_handler
      Code: .
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: api, ProtocolType: HTTP}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "2.0"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /admin
      AuthorizationType: AWS_IAM
      Target: !Join [/, [integrations, !Ref Integration]]
`

// closedOpenAPI requires an API key everywhere (the document's
// security) but on /health, which empties it; /orders has its own.
const closedOpenAPI = `openapi: 3.0.1
security:
  - api_key: []
paths:
  /orders:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:eu-west-1:123456789012:function:orders
  /orders/{id}:
    get:
      security:
        - cognito: [orders/read]
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:eu-west-1:123456789012:function:orders
  /health:
    get:
      security: []
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:lambda:eu-west-1:123456789012:function:orders
`

// closedServerless has REST routes behind IAM, Cognito and an API key
// (private), an HTTP API
// route behind IAM, and one open route of each flavour.
const closedServerless = `service: shop
provider:
  name: aws
  runtime: python3.9
functions:
  fn:
    handler: app.lambda_handler
    events:
      - http: {path: iam, method: get, authorizer: aws_iam}
      - http:
          path: cognito
          method: get
          authorizer: {type: COGNITO_USER_POOLS, arn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x"}
      - http: {path: open, method: get}
      - http: {path: keyed, method: get, private: true}
      - httpApi: {path: /iam, method: get, authorizer: {type: aws_iam}}
      - httpApi: {path: /open, method: get}
`

// writeTemp writes data as name in a new temporary folder and returns
// its path.
func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// parses checks that platform.Parse accepts app, written beside file.
func parses(t *testing.T, app *App, file string) {
	t.Helper()
	out, err := Marshal(app, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.Parse(filepath.Join(filepath.Dir(file), "portico.yaml"), out, func(string) (string, bool) { return "", false }); err != nil {
		t.Errorf("platform.Parse: %v\n%s", err, out)
	}
}

// checkClosed checks the routes and that the closed authorizer, when
// used, refuses everything (a deny authorizer).
func checkClosed(t *testing.T, app *App, want []string) {
	t.Helper()
	if got := routeLines(app.Routes); !slices.Equal(got, want) {
		t.Errorf("routes:\n got %q\nwant %q", got, want)
	}
	if a := app.Authorizers[ClosedAuthorizer]; a == nil || !reflect.DeepEqual(*a, Authorizer{Type: "deny"}) {
		t.Errorf("authorizer %s = %+v, want type deny alone", ClosedAuthorizer, a)
	}
}

func TestClosedSAM(t *testing.T) {
	file := writeTemp(t, "template.yaml", closedSAM)
	app, notes, err := ImportSAM(file, []byte(closedSAM), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkClosed(t, app, []string{
		"GET /private -> Fn 1.0 auth=aws-only",
		"GET /iam -> Fn 1.0 auth=aws-only",
		"GET /public -> Fn 1.0",
		"GET /keyed -> Fn 1.0 auth=aws-only",
		"OPTIONS /private -> CorsPreflight 1.0 auth=aws-only",
		"OPTIONS /iam -> CorsPreflight 1.0 auth=aws-only",
		"OPTIONS /public -> CorsPreflight 1.0 auth=aws-only",
		"OPTIONS /keyed -> CorsPreflight 1.0 auth=aws-only",
	})
	if !hasNote(notes, "Resources.Fn.Properties.Events.Private", "IAM authorization needs AWS: the route answers 403 (authorizer aws-only)") ||
		!hasNote(notes, "Resources.Fn.Properties.Events.Keyed", "an API key is required on AWS: the route answers 403") {
		t.Errorf("no note for the closed route: %v", notes)
	}
	parses(t, app, file)
}

func TestClosedCloudFormation(t *testing.T) {
	file := writeTemp(t, "template.yaml", closedCFN)
	app, notes, err := ImportSAM(file, []byte(closedCFN), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkClosed(t, app, []string{"GET /admin -> Fn 2.0 auth=aws-only"})
	if !hasNote(notes, "Resources.Route.Properties.AuthorizationType", "answers 403") {
		t.Errorf("no note for AuthorizationType: %v", notes)
	}
	parses(t, app, file)
}

func TestClosedOpenAPI(t *testing.T) {
	file := writeTemp(t, "openapi.yaml", closedOpenAPI)
	app, notes, err := ImportOpenAPI(file, []byte(closedOpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	checkClosed(t, app, []string{
		"GET /orders -> orders 1.0 auth=aws-only",
		"GET /orders/{id} -> orders 1.0 auth=aws-only",
		"GET /health -> orders 1.0",
	})
	if app.Stage != "Prod" || !hasNote(notes, "paths", "served as Prod") {
		t.Errorf("a REST API's stage: %q, notes %v", app.Stage, notes)
	}
	for _, key := range []string{"paths./orders.get", "paths./orders/{id}.get.security"} {
		if !hasNote(notes, key, "OpenAPI security") && !hasNote(notes, key, "the document's security") {
			t.Errorf("no note %s: %v", key, notes)
		}
	}
	parses(t, app, file)
}

func TestClosedServerless(t *testing.T) {
	file := writeTemp(t, "serverless.yml", closedServerless)
	for _, tc := range []struct {
		flavour string
		want    []string
	}{
		{"rest", []string{"GET /iam -> fn 1.0 auth=aws-only", "GET /cognito -> fn 1.0 auth=aws-only", "GET /open -> fn 1.0", "GET /keyed -> fn 1.0 auth=aws-only"}},
		{"http", []string{"GET /iam -> fn 2.0 auth=aws-only", "GET /open -> fn 2.0"}},
	} {
		t.Run(tc.flavour, func(t *testing.T) {
			app, notes, err := ImportServerless(file, []byte(closedServerless), ServerlessOptions{
				Flavour: tc.flavour, Lookup: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			checkClosed(t, app, tc.want)
			if !hasNote(notes, "functions.fn.events[0].http.authorizer", "IAM authorization needs AWS: the route answers 403") ||
				!hasNote(notes, "functions.fn.events[1].http.authorizer", "Cognito") {
				t.Errorf("notes: %v", notes)
			}
			parses(t, app, file)
		})
	}
}

// TestClosedServes serves the closed SAM template: the routes behind IAM
// answer 403 without running the function; the one opened with NONE
// runs it.
func TestClosedServes(t *testing.T) {
	src := writeTemp(t, "template.yaml", closedSAM)
	base := serveImport(t, src, map[string]string{"app.py": `
def lambda_handler(event, context):
    return {"statusCode": 200, "body": "hello " + event["path"]}
`})
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"GET", "/Prod/private", 403}, {"GET", "/Prod/iam", 403}, {"OPTIONS", "/Prod/iam", 403}, {"GET", "/Prod/keyed", 403}, {"GET", "/Prod/public", 200}} {
		method, path, want := tc.method, tc.path, tc.want
		req, _ := http.NewRequest(method, base+path, nil)
		if status, body, _ := call(t, req); status != want {
			t.Errorf("%s %s: %d %q, want %d", method, path, status, body, want)
		}
	}
}
