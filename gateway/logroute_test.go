package gateway

import (
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit"
)

// TestLoggerRoutes: a function's output lines (info, backend.OutputLogMessage)
// go to the functions' writer, from a logger With fields too and in the
// order written; the access logger's to the access log; anything else,
// an "output" warning included, to the process log.
func TestLoggerRoutes(t *testing.T) {
	var out, functions testkit.Buffer
	path := t.TempDir() + "/access.log"
	al, err := OpenAccessLog(path, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	log := NewLogger(zapcore.InfoLevel, &out, &functions, al)
	fn := log.With(zap.String("function", "hello"))
	for i := range 5 {
		fn.Info(backend.OutputLogMessage, zap.Int("n", i))
	}
	fn.Warn(backend.OutputLogMessage)
	log.Info("starting")
	log.Named(AccessLoggerName).Info("request")
	if err := log.Sync(); err != nil {
		t.Fatal(err)
	}
	f := functions.String()
	if got := strings.Count(f, `"function":"hello"`); got != 5 {
		t.Errorf("functions' writer got %d of the 5 output lines:\n%s", got, f)
	}
	for i := range 4 {
		a, b := strings.Index(f, `"n":`+string(rune('0'+i))), strings.Index(f, `"n":`+string(rune('0'+i+1)))
		if a < 0 || b < a {
			t.Errorf("output lines out of order:\n%s", f)
			break
		}
	}
	p := out.String()
	if !strings.Contains(p, `"level":"warn"`) || !strings.Contains(p, `"msg":"starting"`) || strings.Contains(p, `"n":`) || strings.Contains(p, `"msg":"request"`) {
		t.Errorf("process log:\n%s", p)
	}
	if strings.Contains(f, `"msg":"request"`) || strings.Contains(f, `"starting"`) {
		t.Errorf("functions' writer got other lines:\n%s", f)
	}
	if n := countLines(t, path); n != 1 {
		t.Errorf("access log has %d lines, want 1", n)
	}
}
