package platform

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/gateway"
	"github.com/portico/portico/internal/testkit"
)

// TestReloadLetsAsyncInvocationsFinish: a reload that replaces a function
// while an Event invocation of it runs lets that invocation finish before
// closing the replaced function. Closing it under the invocation would
// kill the runtime, and the queue would count the kill (Runtime.ExitError)
// as the function's own error: with maximumRetryAttempts 0 the event would
// go to onFailure although the function never failed.
func TestReloadLetsAsyncInvocationsFinish(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH (make test installs it)")
	}
	audit, dead := &recorder{}, &recorder{}
	auditSrv, deadSrv := httptest.NewServer(audit), httptest.NewServer(dead)
	t.Cleanup(auditSrv.Close)
	t.Cleanup(deadSrv.Close)
	dir := t.TempDir()
	code := filepath.Join(dir, "fn")
	started := filepath.Join(dir, "started")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	app := "import time\ndef handler(event, context):\n    open(" + pyString(started) + ", 'w').close()\n    time.sleep(1.5)\n    return 'done'\n"
	if err := os.WriteFile(filepath.Join(code, "app.py"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "portico.yaml")
	write := func(timeout string) {
		t.Helper()
		text := `functions:
  slow: {backend: process, runtime: python3.11, code: ./fn, handler: app.handler, timeout: ` + timeout + `,
         async: {maximumRetryAttempts: 0, onSuccess: {function: audit}, onFailure: {function: dead}}}
  audit: {backend: http, url: "` + auditSrv.URL + `"}
  dead: {backend: http, url: "` + deadSrv.URL + `"}
routes:
  - {route: $default, function: audit}
`
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("10s")
	p := startPlatform(t, file)
	srv := gateway.NewServer(p.Gateway())
	if err := p.services.queue.Enqueue(context.Background(), "slow", "req-1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the invocation to start", func() bool {
		_, err := os.Stat(started)
		return err == nil
	})

	write("20s") // the function changes: the reload replaces it
	next, err := p.Reload(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	testkit.Eventually(t, 10*time.Second, "a destination record", func() bool {
		return len(audit.payloads())+len(dead.payloads()) > 0
	})
	if got := dead.payloads(); len(got) > 0 {
		t.Errorf("the reload killed the invocation; its record went to onFailure: %s", got[0])
	}
	if got := audit.payloads(); len(got) != 1 || !strings.Contains(string(got[0]), `"condition":"Success"`) {
		t.Errorf("onSuccess records: %q, want one Success", got)
	}
}

// pyString is s as a Python string literal.
func pyString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
