package importer

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/portico/portico/platform"
)

func TestImportOpenAPI(t *testing.T) {
	file := "testdata/openapi/http-api.yaml"
	data := readFile(t, file)
	app, notes, err := ImportOpenAPI(file, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /orders -> list-orders 2.0 ",
		"POST /orders -> create-order 1.0 aws-only", // its security is not imported: closed
		"ANY /orders/{id} -> list-orders 2.0 ",
	}
	if got := routeKeys(app); !slices.Equal(got, want) || app.API != "http" {
		t.Errorf("routes: got %q (api %q), want %q", got, app.API, want)
	}
	if f := app.Functions["list-orders"]; f == nil || f.Backend != "lambda" || f.FunctionName != "arn:aws:lambda:eu-west-1:123456789012:function:list-orders" {
		t.Errorf("list-orders: got %+v", f)
	}
	if app.CORS == nil || !slices.Equal(app.CORS.AllowOrigins, []string{"https://app.example.com"}) {
		t.Errorf("cors: got %+v", app.CORS)
	}
	for _, want := range []struct{ key, reason string }{
		{"paths./orders.post.security", "answers 403 (authorizer aws-only)"},
		{"paths./health.get.x-amazon-apigateway-integration", "http_proxy"},
		{"paths.$default.x-amazon-apigateway-any-method", "no x-amazon-apigateway-integration"},
	} {
		if !hasNote(notes, want.key, want.reason) {
			t.Errorf("no note %s: %s; got %v", want.key, want.reason, notes)
		}
	}
	out, err := Marshal(app, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.Parse(filepath.Join(filepath.Dir(file), "imported.yaml"), out, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("platform.Parse: %v\n%s", err, out)
	}
}

// TestImportOpenAPIUnresolved: a document a template includes names its
// functions with intrinsics only the template resolves.
func TestImportOpenAPIUnresolved(t *testing.T) {
	file := "testdata/openapi/sam-cli-swagger.yaml"
	data := readFile(t, file)
	app, notes, err := ImportOpenAPI(file, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Routes) != 0 || app.API != "rest" || !hasNote(notes, "paths./anyandall.x-amazon-apigateway-any-method.x-amazon-apigateway-integration.uri", "not a string") {
		t.Errorf("got routes %v api %q notes %v", app.Routes, app.API, notes)
	}
	if _, _, err := ImportOpenAPI("x.yaml", []byte("Resources: {}")); err == nil {
		t.Error("a template imported as OpenAPI")
	}
}
