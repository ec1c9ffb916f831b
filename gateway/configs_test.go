package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstart serves configs/quickstart.yaml as `portico serve` does:
// the example functions are built from source and run as processes.
func TestQuickstart(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// startGateway writes the config elsewhere: keep its relative paths.
	abs, _ := filepath.Abs(filepath.Join("..", "examples"))
	g := startGateway(t, strings.ReplaceAll(string(data), "../examples", abs))

	if r := do(t, "GET", g.url+"/hello?name=you", nil, ""); r.status != 200 || r.body != "Hello, you!\n" {
		t.Errorf("/hello: %d %q", r.status, r.body)
	}
	if r := do(t, "GET", g.url+"/node/hello?name=node", nil, ""); r.status != 200 || r.body != "Hello, node!\n" || strings.Join(r.headers["content-type"], ",") != "text/plain; charset=utf-8" {
		t.Errorf("/node/hello: %d %q %v", r.status, r.body, r.headers)
	}
	if r := do(t, "GET", g.url+"/python/hello?name=python", nil, ""); r.status != 200 || r.body != "Hello, python!\n" || strings.Join(r.headers["content-type"], ",") != "text/plain; charset=utf-8" {
		t.Errorf("/python/hello: %d %q %v", r.status, r.body, r.headers)
	}
	ev := echoed(t, do(t, "POST", g.url+"/echo/a/b?x=1&x=2", map[string]string{"Content-Type": "application/json"}, `{"hi":1}`))
	if ev["routeKey"] != "ANY /echo/{proxy+}" || ev["body"] != `{"hi":1}` {
		t.Errorf("/echo: routeKey %v body %v", ev["routeKey"], ev["body"])
	}
	v1 := echoed(t, do(t, "GET", g.url+"/v1/echo", nil, ""))
	if v1["version"] != "1.0" || v1["resource"] != "/v1/echo" {
		t.Errorf("/v1/echo: version %v resource %v", v1["version"], v1["resource"])
	}
	if r := do(t, "GET", g.url+"/crash", nil, ""); r.status != 500 || r.body != `{"message":"Internal Server Error"}` {
		t.Errorf("/crash: %d %q", r.status, r.body)
	}
	if r := do(t, "GET", g.url+"/teapot", nil, ""); r.status != 418 || r.body != "short and stout" {
		t.Errorf("/teapot: %d %q", r.status, r.body)
	}
	if r := do(t, "GET", g.url+"/hello", nil, ""); r.status != 200 {
		t.Errorf("/hello after a crash elsewhere: %d", r.status)
	}
}
