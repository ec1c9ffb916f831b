package process

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// A connection that sends half a request, or stays idle after one, is
// closed after the timeouts, while the runtime's long-poll GET /next,
// pending longer than both, still gets the next event.
func TestRuntimeAPIClosesStalledConnections(t *testing.T) {
	read, idle := runtimeAPIReadTimeout, runtimeAPIIdleTimeout
	runtimeAPIReadTimeout, runtimeAPIIdleTimeout = 200*time.Millisecond, 200*time.Millisecond
	t.Cleanup(func() { runtimeAPIReadTimeout, runtimeAPIIdleTimeout = read, idle })

	out := filepath.Join(t.TempDir(), "fates.json")
	cfg := fake("timeouts")
	cfg.Env["PORTICO_TEST_OUT"] = out
	f := newFunction(t, cfg)
	if got := mustInvoke(t, f, `{"n":1}`); got != `{"n":1}` {
		t.Fatalf("first call: %s", got)
	}
	var fates []byte
	testkit.Eventually(t, 10*time.Second, "the runtime to watch its stalled connections", func() bool {
		var err error
		fates, err = os.ReadFile(out)
		return err == nil
	})
	if want := `{"half":"closed","idle":"closed"}`; string(fates) != want {
		t.Errorf("got %s, want %s", fates, want)
	}
	// Watching took at least both timeouts, all while GET /next was pending.
	if got := mustInvoke(t, f, `{"n":2}`); got != `{"n":2}` {
		t.Errorf("second call: %s", got)
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("started %d instances, want 1", n)
	}
}
