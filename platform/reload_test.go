package platform

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/process"
	"github.com/portico/portico/gateway"
)

// TestReloadKeepsUnchangedFunctionsWarm: a reload takes over the functions
// whose config did not change (same invoker, same warm instance), builds
// the changed ones and closes what it replaced; a config that fails to
// load or start changes nothing.
func TestReloadKeepsUnchangedFunctionsWarm(t *testing.T) {
	hello, _ := filepath.Abs(filepath.Join("..", "examples", "hello"))
	file := filepath.Join(t.TempDir(), "portico.yaml")
	write := func(mockBody, helloExtra string, more ...string) {
		t.Helper()
		text := `
functions:
  hello: {backend: process, runtime: go, source: "` + hello + `", minInstances: 1` + helloExtra + `}
  mock: {backend: builtin, handler: mock, response: {statusCode: 200, body: ` + mockBody + `}}
` + strings.Join(more, "") + `
routes:
  - {route: GET /hello, function: hello}
  - {route: GET /mock, function: mock}
`
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one", "")
	p := startPlatform(t, file)
	srv := gateway.NewServer(p.Gateway())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, nil) }()
	defer func() { cancel(); <-served; p.Close() }()
	url := "http://" + ln.Addr().String()

	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	if got := get("/mock"); got != "one" {
		t.Fatalf("/mock: %q", got)
	}
	warm := p.functions["hello"].invoker.(*process.Function)

	write("two", "")
	next, err := p.Reload(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	p = next
	if got := get("/mock"); got != "two" {
		t.Errorf("/mock after reload: %q, want two", got)
	}
	if p.functions["hello"].invoker != warm {
		t.Errorf("the unchanged function was rebuilt")
	}
	if running, _ := warm.Stats(); running != 1 {
		t.Errorf("the unchanged function has %d instances, want its warm one", running)
	}

	write("three", `, backend: lambda`) // not a valid config
	if _, err := p.Reload(ctx, srv); err == nil || !strings.Contains(err.Error(), "functions.hello") {
		t.Errorf("a config with problems: %v, want its problems", err)
	}
	write("three", "", "  broken: {backend: process, handler: /nonexistent/bootstrap}\n") // valid, cannot start
	if _, err := p.Reload(ctx, srv); err == nil || !strings.Contains(err.Error(), "function broken") {
		t.Errorf("a config whose function cannot start: %v, want its start error", err)
	}
	if got := get("/mock"); got != "two" {
		t.Errorf("/mock after refused reloads: %q, want two", got)
	}
	if running, _ := warm.Stats(); running != 1 || p.functions["hello"].invoker != warm {
		t.Errorf("a refused reload touched the running function (%d instances)", running)
	}

	write("two", ", timeout: 5s")
	if p, err = p.Reload(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if p.functions["hello"].invoker == warm {
		t.Errorf("a changed function was kept")
	}
	if running, _ := warm.Stats(); running != 0 {
		t.Errorf("the replaced function still has %d instances", running)
	}
	if got := get("/hello"); got != "Hello, world!" {
		t.Errorf("/hello from the rebuilt function: %q", got)
	}
}

// TestReloadPicksUpEditedCode: a function whose config did not change but
// whose code did on disk is rebuilt by a reload; untouched code stays warm.
func TestReloadPicksUpEditedCode(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH (make test installs it)")
	}
	dir := t.TempDir()
	code := filepath.Join(dir, "fn")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	writeApp := func(answer string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(code, "app.py"), []byte("def handler(event, context):\n    return "+answer+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeApp(`"one"`)
	file := filepath.Join(dir, "portico.yaml")
	if err := os.WriteFile(file, []byte("functions:\n  fn: {backend: process, runtime: python3.11, code: ./fn, handler: app.handler}\nroutes:\n  - {route: $default, function: fn}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startPlatform(t, file)
	srv := gateway.NewServer(p.Gateway())
	ctx := context.Background()
	invoke := func(p *Platform) string {
		t.Helper()
		out, err := p.functions["fn"].invoker.Invoke(ctx, &backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: "r"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := invoke(p); got != `"one"` {
		t.Fatalf("got %s", got)
	}
	same, err := p.Reload(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	if same.functions["fn"].invoker != p.functions["fn"].invoker {
		t.Errorf("a reload with nothing changed rebuilt the function")
	}
	p = same
	writeApp(`"two, longer"`) // another size: a new fingerprint even within the mtime's resolution
	next, err := p.Reload(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if got := invoke(next); got != `"two, longer"` {
		t.Errorf("after editing the code and reloading: %s, want the new answer", got)
	}
}

// startPlatform loads, builds and starts the config in file.
func startPlatform(t *testing.T, file string) *Platform {
	t.Helper()
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return startConfig(t, cfg)
}

// servePlatform starts cfg and serves it as `portico serve` does until
// the test ends.
func servePlatform(t *testing.T, cfg *Config) *Platform {
	t.Helper()
	p := startConfig(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, p, nil) }()
	t.Cleanup(func() { cancel(); <-served })
	return p
}

// startConfig builds and starts cfg.
func startConfig(t *testing.T, cfg *Config) *Platform {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		p.Close()
		t.Fatal(err)
	}
	return p
}
