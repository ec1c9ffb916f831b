package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/redistest"
)

// replicasConfig is the one config both replicas run (their listen and
// admin addresses come from flags, the Invoke API's from the
// environment). The throttle refills one token every 10 s, so the burst
// of 5 is all a quick run of requests gets, however slow the machine.
const replicasConfig = `
listen: 127.0.0.1:8080
admin: 127.0.0.1:9090
invokeApi: {listen: "${PORTICO_INVOKE_LISTEN}"}
redis: {url: "%[1]s"}
ratelimit: {store: redis}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}
  sink: {backend: http, url: "%[2]s/events"}
  ticks: {backend: http, url: "%[2]s/ticks", async: {maximumRetryAttempts: 0}}
routes:
  - {route: GET /hello, function: hello, throttle: {rate: 0.1, burst: 5, key: ip}}
schedules:
  - {name: tick, function: ticks, expression: "rate(1 second)"}
`

// sink is the http function both replicas deliver to: it counts the
// async events by their "n" and the schedule's by their "time".
type sink struct {
	mu     sync.Mutex
	events map[int]int
	ticks  map[string]int
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		N    int    `json:"n"`
		Time string `json:"time"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	switch r.URL.Path {
	case "/events":
		s.events[ev.N]++
	case "/ticks":
		s.ticks[ev.Time]++
	}
	s.mu.Unlock()
	w.Write([]byte(`{}`))
}

// TestTwoReplicasBehindNginx runs the deployment of compose.yaml on this
// machine: two portico processes with one config and one redis-server,
// behind nginx, and shows what they share.
func TestTwoReplicasBehindNginx(t *testing.T) {
	redis := redistest.Start(t)
	s := &sink{events: map[int]int{}, ticks: map[string]int{}}
	fn := httptest.NewServer(s)
	defer fn.Close()
	config := filepath.Join(t.TempDir(), "replicas.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, replicasConfig, redis.URL, fn.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	validateConfig(t, "replicas.yaml", fmt.Appendf(nil, replicasConfig, redis.URL, fn.URL), map[string]string{"PORTICO_INVOKE_LISTEN": "127.0.0.1:3001"})
	a := startReplica(t, "replica-a", config)
	b := startReplica(t, "replica-b", config)
	lb := testkit.FreeAddr(t)
	startNginx(t, lb, a.listen, b.listen)
	client := &http.Client{Timeout: 10 * time.Second}

	t.Run("one throttle across replicas", func(t *testing.T) {
		// Five requests alternate between the replicas and spend the
		// burst in Redis; with a bucket per replica, ten would pass.
		var statuses []int
		served := map[string]bool{}
		for i := range 10 {
			resp, err := client.Get("http://" + lb + "/hello")
			if err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
			if resp.StatusCode == http.StatusOK {
				served[resp.Header.Get("X-Upstream")] = true
			}
		}
		want := []int{200, 200, 200, 200, 200, 429, 429, 429, 429, 429}
		if !slices.Equal(statuses, want) {
			t.Errorf("statuses %v, want %v", statuses, want)
		}
		if !served[a.listen] || !served[b.listen] {
			t.Errorf("replicas that served: %v, want both %s and %s", served, a.listen, b.listen)
		}
	})

	t.Run("one async queue across replicas", func(t *testing.T) {
		const events = 20
		for n := range events {
			api := []*replica{a, b}[n%2].invoke
			req, _ := http.NewRequest(http.MethodPost, "http://"+api+"/2015-03-31/functions/sink/invocations", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
			req.Header.Set("X-Amz-Invocation-Type", "Event")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("event %d: %v", n, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("event %d: status %d %s, want 202", n, resp.StatusCode, body)
			}
		}
		testkit.Eventually(t, 30*time.Second, "every event delivered", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.events) == events
		})
		s.mu.Lock()
		defer s.mu.Unlock()
		for n := range events {
			if s.events[n] == 0 {
				t.Errorf("event %d not delivered", n)
			}
		}
	})

	// Both replicas run the schedule; each tick must arrive once. Stopping
	// the replicas first means no late duplicate can come after the count.
	const ticks = 5
	testkit.Eventually(t, 30*time.Second, fmt.Sprintf("%d ticks", ticks), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.ticks) >= ticks
	})
	a.stop(t)
	b.stop(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	var times []time.Time
	deliveries := 0
	for v, count := range s.ticks {
		tick, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("tick time %q: %v", v, err)
		}
		times = append(times, tick)
		deliveries += count
		if count != 1 {
			t.Errorf("tick %s delivered %d times, want once", v, count)
		}
	}
	slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
	if span := int(times[len(times)-1].Sub(times[0])/time.Second) + 1; span != len(times) {
		t.Errorf("%d distinct ticks over %d seconds (%v … %v): a tick was missed", len(times), span, times[0], times[len(times)-1])
	}
	t.Logf("%d ticks, %d deliveries; events delivered: %v", len(times), deliveries, s.events)
}
