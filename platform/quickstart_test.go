package platform

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/portico/portico/internal/testkit"
)

// TestQuickstart serves configs/quickstart.yaml as `portico serve` does
// (the example functions built from source or run by node and python3),
// on free ports, and calls it through its routes and its Invoke API.
func TestQuickstart(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "configs", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.Admin.Listen, cfg.InvokeAPI.Listen = testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	servePlatform(t, cfg)
	base := "http://" + cfg.Listen

	get := func(path string) (int, string, http.Header) {
		t.Helper()
		var resp *http.Response
		testkit.Eventually(t, 5*time.Second, "the gateway to answer", func() bool {
			resp, err = http.Get(base + path)
			return err == nil
		})
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	for path, want := range map[string]string{
		"/hello?name=you":          "Hello, you!\n",
		"/node/hello?name=node":    "Hello, node!\n",
		"/python/hello?name=snake": "Hello, snake!\n",
	} {
		if status, body, h := get(path); status != 200 || body != want || h.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q %v", path, status, body, h)
		}
	}
	if status, body, _ := get("/v1/echo"); status != 200 || !strings.Contains(body, `"version":"1.0"`) || !strings.Contains(body, `"resource":"/v1/echo"`) {
		t.Errorf("/v1/echo: %d %s", status, body)
	}
	if status, body, _ := get("/crash"); status != 500 || body != `{"message":"Internal Server Error"}` {
		t.Errorf("/crash: %d %q", status, body)
	}
	if status, body, _ := get("/teapot"); status != 418 || body != "short and stout" {
		t.Errorf("/teapot: %d %q", status, body)
	}
	if status, _, _ := get("/hello"); status != 200 {
		t.Errorf("/hello after a crash elsewhere: %d", status)
	}

	// The admin page's API lists the quickstart's routes, and its local
	// functions with their instances (hello is kept warm).
	admin := func(path string, out any) {
		t.Helper()
		resp, err := http.Get("http://" + cfg.Admin.Listen + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("admin %s: %d %v", path, resp.StatusCode, err)
		}
	}
	var routes []struct{ Route, Function string }
	if admin("/api/routes", &routes); len(routes) != len(cfg.Routes) || routes[0].Route != "GET /hello" || routes[0].Function != "hello" {
		t.Errorf("admin /api/routes: %+v", routes)
	}
	var functions struct {
		Functions []struct {
			Name      string
			Runtime   string
			Instances *struct{ Idle, Busy int }
			CostUSD   *float64 `json:"costUsd"`
		}
	}
	admin("/api/functions", &functions)
	for _, fn := range functions.Functions {
		if fn.Name == "hello" && (fn.Runtime != "go" || fn.Instances == nil || fn.Instances.Idle < 1) {
			t.Errorf("admin /api/functions: hello %+v, want a warm go instance", fn)
		}
		// Local functions are metered: hello ran twice, so it cost something.
		if fn.Name == "hello" && (fn.CostUSD == nil || *fn.CostUSD <= 0) {
			t.Errorf("admin /api/functions: hello's cost %v, want its metered cost", fn.CostUSD)
		}
	}

	client := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String("http://" + cfg.InvokeAPI.Listen)
	})
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("python-hello"), Payload: []byte(`{"queryStringParameters":{"name":"sdk"}}`)})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), `Hello, sdk!`) {
		t.Errorf("Invoke API python-hello: %v %s", err, out.Payload)
	}
}
