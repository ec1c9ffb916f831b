package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/platformtest"
	"github.com/portico/portico/platform"
)

// testConfig is a small config with routes of every kind of answer: the
// builtin echo (the event as the body), a mock, and a function error.
const testConfig = `
listen: LISTEN
admin: ADMIN
functions:
  echo: {backend: builtin, handler: echo}
  teapot: {backend: builtin, handler: mock, response: {statusCode: 418, body: "short and stout"}}
  broken: {backend: builtin, handler: mock, response: {statusCode: "nope"}}
routes:
  - {route: "GET /pets/{id}", function: echo}
  - {route: "POST /orders", function: echo, timeout: 5s}
  - {route: "ANY /teapot", function: teapot}
  - {route: "GET /broken", function: broken}
schedules:
  - {name: hourly, function: echo, expression: "cron(0 * * * ? *)"}
`

// served is a platform serving on free 127.0.0.1 ports.
type served struct {
	file          string // its config file, which a test may rewrite and reload
	public, admin string // base URLs
}

// serve writes text (LISTEN and ADMIN replaced by free addresses) to a
// config file, and serves it as `portico serve` does until the test ends.
func serve(t *testing.T, text string, opts ...platform.Option) *served {
	t.Helper()
	listen, admin := testkit.FreeAddr(t), testkit.FreeAddr(t)
	text = strings.NewReplacer("LISTEN", listen, "ADMIN", admin).Replace(text)
	file := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return serveFile(t, file, listen, admin, opts...)
}

// serveFile serves the config file with its listeners moved to the given
// addresses, as `serve --listen --admin` does.
func serveFile(t *testing.T, file, listen, admin string, opts ...platform.Option) *served {
	t.Helper()
	cfg, err := platform.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	override := func(c *platform.Config) { c.Listen, c.Admin.Listen = listen, admin }
	override(cfg)
	platformtest.Serve(t, cfg, append(opts, platform.WithOverride(override))...)
	s := &served{file: file, public: "http://" + listen, admin: "http://" + admin}
	testkit.EventuallyGet(t, 10*time.Second, s.admin+"/readyz", 200)
	return s
}
