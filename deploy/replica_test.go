package deploy

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// replica is one `portico serve` process of a test.
type replica struct {
	listen, admin, invoke string
	cmd                   *exec.Cmd
	exited                chan error
	log                   string
}

// startReplica runs `portico serve --config config` on free 127.0.0.1
// ports (the Invoke API's through ${PORTICO_INVOKE_LISTEN}) and waits for
// /readyz. The test's cleanup stops it if the test did not.
func startReplica(t *testing.T, name, config string) *replica {
	t.Helper()
	r := &replica{
		listen: testkit.FreeAddr(t), admin: testkit.FreeAddr(t), invoke: testkit.FreeAddr(t),
		exited: make(chan error, 1),
		log:    filepath.Join(t.TempDir(), name+".log"),
	}
	out, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	r.cmd = exec.Command(porticoBinary(t), "serve", "--config", config, "--listen", r.listen, "--admin", r.admin)
	r.cmd.Env = append(os.Environ(), "PORTICO_INVOKE_LISTEN="+r.invoke)
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		r.wait(5 * time.Second)
		if t.Failed() {
			text, _ := os.ReadFile(r.log)
			t.Logf("%s's output:\n%s", name, text)
		}
	})
	ready := testkit.Poll(60*time.Second, func() bool {
		if r.done() {
			return true
		}
		resp, err := http.Get("http://" + r.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !ready || r.done() {
		text, _ := os.ReadFile(r.log)
		t.Fatalf("%s not ready on %s within 60s:\n%s", name, r.admin, text)
	}
	return r
}

// done reports whether the process has exited, leaving that news for
// wait.
func (r *replica) done() bool {
	select {
	case err := <-r.exited:
		r.exited <- err
		return true
	default:
		return false
	}
}

// wait waits up to within for the process to exit.
func (r *replica) wait(within time.Duration) error {
	select {
	case err := <-r.exited:
		r.exited <- err
		return err
	case <-time.After(within):
		return fmt.Errorf("still running after %v", within)
	}
}

// stop sends SIGTERM, as Kubernetes does, and waits for the drain.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !r.done() {
		t.Fatal(err)
	}
	if err := r.wait(30 * time.Second); err != nil {
		t.Errorf("portico after SIGTERM: %v", err)
	}
}
