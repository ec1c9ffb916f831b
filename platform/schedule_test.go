package platform

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goccy/go-json"

	"github.com/portico/portico/internal/testkit"
)

// TestScheduleFiresThroughTheQueue: a schedule served by the platform
// invokes its function with EventBridge's Scheduled Event, and another
// with its constant input, through the async queue.
func TestScheduleFiresThroughTheQueue(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1") // the region of the ARNs checked below
	events, inputs := &recorder{}, &recorder{}
	evSrv, inSrv := httptest.NewServer(events), httptest.NewServer(inputs)
	t.Cleanup(evSrv.Close)
	t.Cleanup(inSrv.Close)
	file := filepath.Join(t.TempDir(), "portico.yaml")
	config := fmt.Sprintf(`
listen: %s
admin: ""
functions:
  tick: {backend: http, url: %q}
  job: {backend: http, url: %q}
schedules:
  - {name: every-second, function: tick, expression: "rate(1 second)"}
  - {name: with-input, function: job, expression: "rate(1 second)", input: {kind: tick}}
`, testkit.FreeAddr(t), evSrv.URL, inSrv.URL)
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	servePlatform(t, cfg)
	testkit.Eventually(t, 10*time.Second, "both schedules to fire", func() bool {
		return len(events.payloads()) > 0 && len(inputs.payloads()) > 0
	})
	var ev struct {
		Version    string   `json:"version"`
		DetailType string   `json:"detail-type"`
		Source     string   `json:"source"`
		Time       string   `json:"time"`
		Resources  []string `json:"resources"`
	}
	if err := json.Unmarshal(events.payloads()[0], &ev); err != nil {
		t.Fatal(err)
	}
	tick, err := time.Parse(time.RFC3339, ev.Time)
	if ev.Version != "0" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || err != nil || tick.Nanosecond() != 0 ||
		len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:events:us-east-1:123456789012:rule/every-second" {
		t.Errorf("scheduled event %s", events.payloads()[0])
	}
	if got := string(inputs.payloads()[0]); got != `{"kind":"tick"}` {
		t.Errorf("constant input: got %s", got)
	}
}
