package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// samApp is the SAM CLI's own start-api HTTP API template (kept in
// importer/testdata with its origin) beside a main.py with the handlers it
// names that the test calls.
func samApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "importer", "testdata", "sam", "start-api-template-http-api.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "template.yaml"), string(tmpl))
	writeFile(t, filepath.Join(dir, "main.py"), `import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["rawPath"], "method": event["requestContext"]["http"]["method"]})}
`)
	return dir
}

// post answers a POST to url once the server listens.
func post(t *testing.T, url string, exited <-chan struct{}) (int, string) {
	t.Helper()
	var resp *http.Response
	testkit.Eventually(t, 60*time.Second, "the server to answer "+url, func() bool {
		select {
		case <-exited:
			t.Fatalf("portico exited before answering %s", url)
		default:
		}
		var err error
		resp, err = http.Post(url, "application/json", strings.NewReader(`{}`))
		return err == nil
	})
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeTemplate: `serve --template` serves a real SAM template's
// Python functions on its routes, and `import` round-trips: its output,
// saved beside the template, validates and serves the same answer.
func TestServeTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary with Python functions")
	}
	bin := testkit.PorticoBinary(t)
	dir := samApp(t)
	listen := testkit.FreeAddr(t)
	s := startPortico(t, bin, nil, "serve", "--template", filepath.Join(dir, "template.yaml"), "--listen", listen, "--admin", "")
	status, body := post(t, "http://"+listen+"/id", s.exited)
	if want := `{"path": "/id", "method": "POST"}`; status != 200 || body != want {
		t.Fatalf("serve --template, POST /id: %d %s, want 200 %s", status, body, want)
	}
	if !strings.Contains(s.output(), "Resources.HelloWorldCapacityProvider: needs AWS") {
		t.Errorf("the notes of what was not carried over are not on stderr:\n%s", s.output())
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"import", filepath.Join(dir, "template.yaml")}, &stdout, &stderr); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr.String())
	}
	imported := filepath.Join(dir, "portico.yaml")
	writeFile(t, imported, stdout.String())
	var out bytes.Buffer
	if code := run([]string{"validate", "--config", imported}, &out, &out); code != 0 {
		t.Fatalf("the imported config does not validate: %s\n%s", out.String(), stdout.String())
	}
	listen2 := testkit.FreeAddr(t)
	s2 := startPortico(t, bin, nil, "serve", "--config", imported, "--listen", listen2, "--admin", "")
	if status2, body2 := post(t, "http://"+listen2+"/id", s2.exited); status2 != status || body2 != body {
		t.Errorf("the imported config answers %d %s, the template %d %s", status2, body2, status, body)
	}
}

// TestServeServerless: `serve --template` serves a serverless.yml's
// Node.js function on its httpApi route, with its provider environment
// and ${self:}/${opt:stage} variables resolved.
func TestServeServerless(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary with a Node.js function")
	}
	bin := testkit.PorticoBinary(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "serverless.yml"), `service: greeter
frameworkVersion: '3'
custom:
  greeting: Hello
provider:
  name: aws
  runtime: nodejs20.x
  stage: ${opt:stage, 'dev'}
  environment:
    GREETING: ${self:custom.greeting} from ${sls:stage}
functions:
  hello:
    handler: src/handler.hello
    events:
      - httpApi: 'POST /hello'
`)
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "src", "handler.js"), `module.exports.hello = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ message: process.env.GREETING, path: event.rawPath }),
});
`)
	listen := testkit.FreeAddr(t)
	s := startPortico(t, bin, nil, "serve", "--template", filepath.Join(dir, "serverless.yml"), "--stage", "test", "--listen", listen, "--admin", "")
	status, body := post(t, "http://"+listen+"/hello", s.exited)
	if want := `{"message":"Hello from test","path":"/hello"}`; status != 200 || body != want {
		t.Errorf("POST /hello: %d %s, want 200 %s", status, body, want)
	}
}

// TestImportDropsWhatTheConfigRefuses: a route the config refuses (here
// two routes that differ only in a parameter's name) is left out with a
// note naming why, and the rest of the application imports and validates.
func TestImportDropsWhatTheConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "serverless.yml")
	writeFile(t, file, `service: users
provider: {name: aws, runtime: nodejs20.x}
functions:
  byId:
    handler: handler.byId
    events: [{httpApi: 'GET /users/{id}'}]
  byName:
    handler: handler.byName
    events: [{httpApi: 'GET /users/{name}'}]
  list:
    handler: handler.list
    events: [{httpApi: 'GET /users'}]
`)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"import", file}, &stdout, &stderr); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "route GET /users/{name}: not served:") {
		t.Errorf("no note for the refused route:\n%s", stderr.String())
	}
	imported := filepath.Join(dir, "portico.yaml")
	writeFile(t, imported, stdout.String())
	var out bytes.Buffer
	if code := run([]string{"routes", "--config", imported}, &out, &out); code != 0 || !strings.Contains(out.String(), "GET /users/{id}") || !strings.Contains(out.String(), "GET /users ") {
		t.Errorf("routes of the imported config (exit %d):\n%s", code, out.String())
	}
}

// TestServeTemplateReloads: SIGHUP imports the template again, so a route
// added to the serverless.yml while Portico serves it answers afterwards.
func TestServeTemplateReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	bin := testkit.PorticoBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "serverless.yml")
	service := `service: mock
provider: {name: aws, runtime: nodejs20.x}
functions:
  one: {handler: handler.one, events: [{httpApi: 'POST /one'}]}
`
	writeFile(t, file, service)
	writeFile(t, filepath.Join(dir, "handler.js"), "module.exports.one = async () => ({statusCode: 200, body: 'one'});\nmodule.exports.two = async () => ({statusCode: 200, body: 'two'});\n")
	listen := testkit.FreeAddr(t)
	s := startPortico(t, bin, nil, "serve", "--template", file, "--listen", listen, "--admin", "")
	if status, body := post(t, "http://"+listen+"/one", s.exited); status != 200 || body != "one" {
		t.Fatalf("POST /one: %d %s", status, body)
	}
	writeFile(t, file, service+"  two: {handler: handler.two, events: [{httpApi: 'POST /two'}]}\n")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, "the added route to answer after SIGHUP", func() bool {
		resp, err := http.Post("http://"+listen+"/two", "application/json", strings.NewReader(`{}`))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && string(body) == "two"
	})
}

// TestServeTemplateGo: a SAM Go function (provided.al2023 with BuildMethod
// go1.x, its own module in CodeUri, as `sam init` lays it out) is built
// with the local toolchain and answers on its route.
func TestServeTemplateGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go function")
	}
	bin := testkit.PorticoBinary(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "template.yaml"), `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties:
      CodeUri: hello-world/
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Hello:
          Type: HttpApi
          Properties: {Path: /hello, Method: POST}
`)
	code := filepath.Join(dir, "hello-world")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join("..", "..", "examples", "hello", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(code, "main.go"), string(main))
	sums, err := os.ReadFile(filepath.Join("..", "..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var sum strings.Builder
	for _, line := range strings.Split(string(sums), "\n") {
		if strings.HasPrefix(line, "github.com/aws/aws-lambda-go ") {
			sum.WriteString(line + "\n")
		}
	}
	writeFile(t, filepath.Join(code, "go.mod"), "module hello-world\n\ngo 1.26\n\nrequire github.com/aws/aws-lambda-go v1.55.1\n")
	writeFile(t, filepath.Join(code, "go.sum"), sum.String())
	listen := testkit.FreeAddr(t)
	s := startPortico(t, bin, nil, "serve", "--template", filepath.Join(dir, "template.yaml"), "--listen", listen, "--admin", "")
	if status, body := post(t, "http://"+listen+"/hello", s.exited); status != 200 || body != "Hello, world!\n" {
		t.Errorf("POST /hello: %d %q", status, body)
	}
}
