package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// TestServeFlagsOverConfig: --listen and --admin replace the config's
// addresses, and keep replacing them across a reload.
func TestServeFlagsOverConfig(t *testing.T) {
	bin := testkit.PorticoBinary(t)
	config := filepath.Join(t.TempDir(), "portico.yaml")
	writeFile(t, config, `
listen: 127.0.0.1:1
admin: ""
functions: {teapot: {backend: builtin, handler: mock, response: {statusCode: 418}}}
routes: [{route: $default, function: teapot}]
`)
	port, admin := testkit.FreePort(t), testkit.FreePort(t)
	cmd := exec.Command(bin, "serve", "--config", config, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--admin", fmt.Sprintf("127.0.0.1:%d", admin))
	var out testkit.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", admin), exited)

	status := func() int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(); got != 418 {
		t.Fatalf("status %d on --listen, want 418", got)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	logged := out.String
	testkit.Eventually(t, 10*time.Second, "the reload", func() bool { return strings.Contains(logged(), `"msg":"reloaded"`) })
	if strings.Contains(logged(), "take effect on restart only") {
		t.Errorf("a reload saw the flags' addresses as a change:\n%s", logged())
	}
	if got := status(); got != 418 {
		t.Errorf("status %d on --listen after a reload, want 418", got)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	if waitErr != nil {
		t.Errorf("serve: %v\n%s", waitErr, logged())
	}
}
