package gateway

import (
	"context"
	"encoding/json"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/kind"
	"github.com/portico/portico/config"
	"github.com/portico/portico/ratelimit"
)

// testGateway is a gateway serving a config on a real 127.0.0.1 listener.
type testGateway struct {
	*Gateway
	url    string
	cancel context.CancelFunc
	done   chan error
}

// testConfig is the root of a test's config text: the gateway's settings
// and its functions. (The platform package does this for users; it imports
// gateway, so the gateway's own tests decode and build functions here.)
type testConfig struct {
	Config    `yaml:",inline"`
	Functions map[string]*kind.Function `yaml:"functions"`
}

// parseTestConfig decodes, defaults and validates a test's config text.
func parseTestConfig(file string, data []byte) (*testConfig, error) {
	c := &testConfig{}
	dir, _ := filepath.Abs(filepath.Dir(file))
	pos, err := config.Decode(file, data, c, config.WithDir(dir))
	c.SetDefaults()
	if err := config.Merge(err, c.Validate(file, pos, slices.Sorted(maps.Keys(c.Functions)))); err != nil {
		return nil, err
	}
	return c, nil
}

// loadTestGateway builds and starts the gateway of config and its
// functions; the functions are closed when the test ends.
func loadTestGateway(t testing.TB, text string, opts ...Option) *Gateway {
	t.Helper()
	file := filepath.Join(t.TempDir(), "portico.yaml")
	cfg, err := parseTestConfig(file, []byte(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	functions := map[string]Function{}
	for name, fn := range cfg.Functions {
		inv, err := fn.Build(name, kind.Options{AccountID: cfg.AccountID})
		if err != nil {
			t.Fatalf("function %s: %v", name, err)
		}
		if c, ok := inv.(backend.Closer); ok {
			t.Cleanup(func() { c.Close() })
		}
		if s, ok := inv.(backend.Starter); ok {
			if err := s.Start(context.Background()); err != nil {
				t.Fatalf("function %s: %v", name, err)
			}
		}
		if n := fn.Concurrency(); n > 0 {
			inv = ratelimit.Capped(inv, ratelimit.NewConcurrencyLimiter(n))
		}
		functions[name] = Function{Invoker: inv, Backend: fn.Backend}
	}
	g, err := New(&cfg.Config, functions, opts...)
	if err != nil {
		t.Fatalf("new gateway: %v", err)
	}
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatalf("start gateway: %v", err)
	}
	return g
}

// startGateway builds the gateway of config and serves it on a free port
// until the test ends.
func startGateway(t *testing.T, config string) *testGateway {
	t.Helper()
	g := loadTestGateway(t, config)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tg := &testGateway{Gateway: g, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { tg.done <- g.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		tg.stop(t)
		g.Close()
	})
	return tg
}

func (tg *testGateway) stop(t *testing.T) {
	t.Helper()
	tg.cancel()
	select {
	case err := <-tg.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
		tg.done <- nil
	case <-time.After(20 * time.Second):
		t.Errorf("gateway did not stop")
	}
}

// response is what a client saw.
type response struct {
	status  int
	headers map[string][]string // canonical (lower-case) name → values
	body    string
}

func (r *response) header(name string) string {
	if v := r.headers[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var testClient = &fasthttp.Client{ReadTimeout: 30 * time.Second, DisablePathNormalizing: true}

// do sends one request and returns the response.
func do(t *testing.T, method, url string, headers map[string]string, body string) *response {
	t.Helper()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.DisableNormalizing()
	req.SetRequestURI(url)
	req.Header.SetMethod(method)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if body != "" {
		req.SetBodyString(body)
	}
	if err := testClient.DoTimeout(req, resp, 30*time.Second); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	out := &response{status: resp.StatusCode(), headers: map[string][]string{}, body: string(resp.Body())}
	for k, v := range resp.Header.All() {
		name := strings.ToLower(string(k))
		out.headers[name] = append(out.headers[name], string(v))
	}
	return out
}

// echoed decodes the event the builtin echo function returned.
func echoed(t *testing.T, r *response) map[string]any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var event map[string]any
	if err := json.Unmarshal([]byte(r.body), &event); err != nil {
		t.Fatalf("echo body is not an event: %v: %s", err, r.body)
	}
	return event
}

// waitFor checks cond until it holds, failing the test after 10 s. For
// what no channel announces (a swap, a store's recovery): a fixed sleep
// would guess how long it takes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
