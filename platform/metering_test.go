package platform

import (
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// TestUsageAndMetrics: a local function's invocations are metered at the
// config's billing: (arm64 prices, 100 ms granules), in Usage and on the
// admin listener's /metrics; a builtin function is not metered.
func TestUsageAndMetrics(t *testing.T) {
	hello, _ := filepath.Abs(filepath.Join("..", "examples", "hello"))
	file := filepath.Join(t.TempDir(), "portico.yaml")
	listen, admin := testkit.FreeAddr(t), testkit.FreeAddr(t)
	text := `listen: ` + listen + `
admin: ` + admin + `
billing: {granularity: 100ms, architecture: arm64}
functions:
  hello: {backend: process, runtime: go, source: "` + hello + `", memory: 256}
  echo: {backend: builtin, handler: echo}
routes:
  - {route: GET /hello, function: hello}
  - {route: GET /echo, function: echo}
`
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p := servePlatform(t, cfg)
	get := func(url string) string {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	testkit.EventuallyGet(t, 10*time.Second, "http://"+listen+"/echo", 200)
	for range 3 {
		if got := get("http://" + listen + "/hello"); strings.TrimSpace(got) != "Hello, world!" {
			t.Fatalf("/hello: %q", got)
		}
	}
	usage := p.Usage()
	if len(usage) != 1 || usage[0].Function != "hello" {
		t.Fatalf("usage %+v, want hello's alone", usage)
	}
	u := usage[0]
	if u.Invocations != 3 || u.Inits != 1 || u.MemoryMB != 256 || u.BilledDuration < 300*time.Millisecond || u.BilledDuration%(100*time.Millisecond) != 0 || u.MaxMemoryUsed <= 0 {
		t.Errorf("usage %+v", u)
	}
	gbs := 256.0 / 1024 * u.BilledDuration.Seconds()
	if want := 3*0.20/1e6 + gbs*0.0000133334; math.Abs(u.Cost-want) > 1e-15 || math.Abs(u.GBSeconds-gbs) > 1e-12 {
		t.Errorf("GB-s %v cost %v, want %v and %v (arm64)", u.GBSeconds, u.Cost, gbs, want)
	}
	metrics := get("http://" + admin + "/metrics")
	for _, line := range []string{
		`portico_function_invocations_total{function="hello"} 3`,
		`portico_function_billed_duration_seconds_count{function="hello"} 3`,
		`portico_function_init_duration_seconds_count{function="hello"} 1`,
		`portico_function_memory_size_bytes{function="hello"} 2.68435456e+08`,
	} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	if strings.Contains(metrics, `function="echo"`) {
		t.Errorf("the builtin echo is metered")
	}
}
