package process

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
)

func TestInstancesCountsAndLastError(t *testing.T) {
	f := newFunction(t, Config{Handler: examples["slow"], Timeout: 300 * time.Millisecond})
	if got := f.Instances(); got != (Instances{}) {
		t.Fatalf("before any call: %+v, want nothing", got)
	}
	mustInvoke(t, f, slow("1"))
	mustInvoke(t, f, slow("1"))
	if got := f.Instances(); got.ColdStarts != 1 || got.Idle != 1 || got.Busy != 0 || got.Starting != 0 || got.LastError != nil {
		t.Errorf("after two calls: %+v, want 1 cold start, 1 idle", got)
	}

	done := make(chan error, 1)
	go func() { _, err := invoke(t, f, slow("200"), 30*time.Second); done <- err }()
	testkit.Eventually(t, 10*time.Second, "the call to show as busy", func() bool { return f.Instances().Busy == 1 })
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	_, err := invoke(t, f, slow("5000"), 30*time.Second)
	asFunctionError(t, err)
	le := f.Instances().LastError
	if le == nil || le.Type != "Sandbox.Timedout" || !strings.Contains(le.Message, "Task timed out after 0.30 seconds") || le.At.IsZero() {
		t.Errorf("last error: %+v, want Sandbox.Timedout with Portico's message", le)
	}
}

func TestLastErrorKeepsFunctionsMessageOut(t *testing.T) {
	var s instanceStats
	now := time.Now()
	for _, tc := range []struct {
		name              string
		err               error
		wantType, wantMsg string
	}{
		{"the function's own error", backend.NewFunctionError("Custom.Failure", "password=hunter2"), "Custom.Failure", ""},
		{"Portico's timeout", backend.NewTimeoutError("r1", time.Second), "Sandbox.Timedout", "RequestId: r1 Error: Task timed out after 1.00 seconds"},
		{"an invocation error", &backend.InvokeError{Kind: backend.KindThrottled, Err: errors.New("at the limit")}, "throttled", "at the limit"},
		{"a long type", backend.NewFunctionError(strings.Repeat("T", 300), "x"), strings.Repeat("T", 100) + "…", ""},
		{"a long cause", &backend.InvokeError{Kind: backend.KindUnavailable, Err: errors.New(strings.Repeat("é", 200))}, "unavailable", strings.Repeat("é", 100) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.failed(tc.err, false, now)
			if le := s.lastError.Load(); le.Type != tc.wantType || le.Message != tc.wantMsg {
				t.Errorf("got %q %q, want %q %q", le.Type, le.Message, tc.wantType, tc.wantMsg)
			}
		})
	}
}

// An instance whose caller gave up during its initialisation goes on
// initialising, to join the pool: it is starting, not busy.
func TestInstancesStartingAfterTheCallerGaveUp(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	f := newFunction(t, fake("gated-init:"+gate))
	if _, err := invoke(t, f, `{}`, 100*time.Millisecond); !backend.IsKind(err, backend.KindTimeout) {
		t.Fatalf("invoke during init: %v, want a timeout", err)
	}
	if got := f.Instances(); got.Starting != 1 || got.Busy != 0 {
		t.Errorf("while it initialises: %+v, want 1 starting, 0 busy", got)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the instance to join the pool", func() bool {
		got := f.Instances()
		return got.Idle == 1 && got.Starting == 0 && got.Busy == 0
	})
}

// The message of an error Portico wrote may show; a function's may not,
// even when it reports one of Portico's error types as its own.
func TestLastErrorOfAFunctionClaimingPorticosType(t *testing.T) {
	for _, tc := range []struct{ mode, wantType string }{
		{"claims-portico-error", "Runtime.ExitError"},
		{"init-claims-portico-error", "Sandbox.Timedout"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFunction(t, fake(tc.mode))
			_, err := invoke(t, f, `{}`, 30*time.Second)
			if fe, ok := err.(*backend.FunctionError); !ok || fe.Type != tc.wantType || !strings.Contains(string(fe.Payload), "hunter2") {
				t.Fatalf("the caller gets %#v, want the function's own %s error as it reported it", err, tc.wantType)
			}
			if le := f.Instances().LastError; le == nil || le.Type != tc.wantType || le.Message != "" {
				t.Errorf("last error %+v, want %s and no message", le, tc.wantType)
			}
		})
	}
}
