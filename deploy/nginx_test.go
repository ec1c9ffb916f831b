package deploy

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// nginxConf is the load balancer's config for a test: round robin over
// the upstreams, one process as the current user (master_process off),
// every file in the test's folder. X-Upstream names the replica that
// answered.
const nginxConf = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[1]s/client_body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  upstream portico {
%[2]s  }
  server {
    listen %[3]s;
    location / {
      proxy_pass http://portico;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`

// startNginx runs nginx on listen (a 127.0.0.1 address) in front of the
// upstreams until the test ends. Without nginx the test is skipped,
// except under CI=true, where it fails: `make deps` installs it.
func startNginx(t *testing.T, listen string, upstreams ...string) {
	t.Helper()
	path, err := exec.LookPath("nginx")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nginx not found: CI=true requires it (make deps installs it): %v", err)
		}
		t.Skipf("nginx not found, skipping (make deps installs it; under CI=true this fails): %v", err)
	}
	dir := t.TempDir()
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "    server %s;\n", u)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, servers.String(), listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	out, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	up := testkit.Poll(10*time.Second, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		c, err := net.DialTimeout("tcp", listen, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	select {
	case err := <-exited:
		exited <- err
		up = false
	default:
	}
	if !up {
		logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		output, _ := os.ReadFile(filepath.Join(dir, "output.log"))
		t.Fatalf("nginx did not listen on %s within 10s:\n%s%s", listen, output, logs)
	}
}
