package gateway

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
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
	return NewLogger(zapcore.InfoLevel, zapcore.AddSync(nopWriter{}), zapcore.AddSync(nopWriter{}), al), al
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

// TestAccessLogSample: with log.sample, a share of the successful requests
// is logged, and every error and refusal is.
func TestAccessLogSample(t *testing.T) {
	const config = `
log: {sample: %s}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}
  broken: {backend: builtin, handler: mock, response: {statusCode: 503, body: down}}
routes:
  - {route: "GET /hello", function: hello}
  - {route: "GET /broken", function: broken}
`
	const n = 2000
	for _, tc := range []struct {
		sample           string
		okMin, okMax     int // of n successful requests
		errors, refusals int // of n each: all
	}{
		{"0", 0, 0, n, n},
		{"0.25", n / 8, n * 3 / 8, n, n}, // a binomial's 10 σ are well inside
		{"1", n, n, n, n},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			g := loadTestGateway(t, fmt.Sprintf(config, tc.sample), WithLogger(zap.New(core)))
			defer g.Close()
			count := func(path string) int {
				return logs.FilterField(zap.String("path", path)).Len()
			}
			for _, path := range []string{"/hello", "/broken", "/missing"} {
				var ctx fasthttp.RequestCtx
				ctx.Request.SetRequestURI(path)
				for range n {
					ctx.Response.Reset()
					g.handle(&ctx)
				}
			}
			if got := count("/hello"); got < tc.okMin || got > tc.okMax {
				t.Errorf("%d of %d successful requests logged, want %d to %d", got, n, tc.okMin, tc.okMax)
			}
			if got := count("/broken"); got != tc.errors {
				t.Errorf("%d of %d 5xx logged, want %d", got, n, tc.errors)
			}
			if got := count("/missing"); got != tc.refusals {
				t.Errorf("%d of %d 404 refusals logged, want %d", got, n, tc.refusals)
			}
		})
	}
}

// TestAccessLogSampleInvalid: log.sample is a fraction.
func TestAccessLogSampleInvalid(t *testing.T) {
	for _, sample := range []string{"-0.1", "1.5", ".nan"} {
		_, err := parseTestConfig("portico.yaml", []byte("log: {sample: "+sample+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "log.sample: want a fraction from 0 to 1") {
			t.Errorf("sample %s: got %v, want log.sample refused", sample, err)
		}
	}
}

// TestAccessLineIsZaps: the line the gateway appends by hand is the line
// zap encodes for the same request, but for the time, the latencies and
// the request id.
func TestAccessLineIsZaps(t *testing.T) {
	const config = `
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}
routes:
  - {route: "GET /hello/{name}", function: hello}
`
	volatile := regexp.MustCompile(`"(time|request_id)":"[^"]*"|"(latency|backend_latency)":[0-9.e-]+`)
	line := func(t *testing.T, g *Gateway, read func() []byte, path string) string {
		t.Helper()
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(path)
		ctx.Request.Header.DisableNormalizing()
		g.handle(&ctx)
		return volatile.ReplaceAllString(string(read()), `"$1$2":X`)
	}
	dir := t.TempDir()
	handLog, al := newAccessLogger(t, filepath.Join(dir, "hand.log"))
	hand := loadTestGateway(t, config, WithLogger(handLog))
	defer hand.Close()
	if hand.accessOut == nil {
		t.Fatal("the gateway does not write its access log itself")
	}
	var zapOut bytes.Buffer
	zapped := loadTestGateway(t, config, WithLogger(zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(EncoderConfig()), zapcore.AddSync(&zapOut), zapcore.InfoLevel))))
	defer zapped.Close()
	for _, path := range []string{"/hello/world", "/hello/w%C3%B6rld?x=1", "/hello/%22q%22", "/hello/wörld", "/hello/a\"b", "/missing"} {
		got := line(t, hand, func() []byte {
			if err := al.Sync(); err != nil {
				t.Fatal(err)
			}
			b := readAll(t, filepath.Join(dir, "hand.log"))
			return b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:]
		}, path)
		want := line(t, zapped, func() []byte { b := zapOut.Bytes(); zapOut.Reset(); return b }, path)
		if got != want || !strings.Contains(got, `"msg":"request"`) {
			t.Errorf("%s:\n got %s\nwant %s", path, got, want)
		}
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
