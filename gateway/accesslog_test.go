package gateway

import (
	"bytes"
	"os"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newAccessLogger returns a logger set up as `portico serve` sets it up,
// whose access log goes to the file at path; the process log is dropped.
func newAccessLogger(t testing.TB, path string) (*zap.Logger, *AccessLog) {
	t.Helper()
	al, err := OpenAccessLog(path, zapcore.AddSync(nopWriter{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := al.Close(); err != nil {
			t.Error(err)
		}
	})
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	access := zapcore.NewCore(zapcore.NewJSONEncoder(enc), al, zapcore.InfoLevel)
	return zap.New(SplitAccessLog(zapcore.NewNopCore(), access)), al
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// countLines counts the lines of the file at path.
func countLines(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}
