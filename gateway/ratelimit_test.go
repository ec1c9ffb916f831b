package gateway

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/testkit/redistest"
)

// countingFunction serves a Lambda Invoke API endpoint that counts its
// invocations.
func countingFunction(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		n.Add(1)
		ctx.SetBodyString(`{"statusCode":200,"body":"ok"}`)
	}}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String() + "/fn", &n
}

func TestRouteThrottle(t *testing.T) {
	fn, calls := countingFunction(t)
	g := startGateway(t, `
trustedProxies: [127.0.0.1]
throttle: {rate: 0.001, burst: 2}
functions: {f: {backend: http, url: "`+fn+`"}}
routes:
  - {route: "GET /default", function: f}
  - {route: "GET /own", function: f, throttle: {rate: 0.001, burst: 3}}
  - {route: "GET /ip", function: f, throttle: {rate: 0.001, burst: 1, key: ip}}
  - {route: "GET /tenant", function: f, throttle: {rate: 0.001, burst: 1, key: "header:X-Tenant"}}
`)
	statuses := func(path string, n int, headers map[string]string) []int {
		var out []int
		for range n {
			out = append(out, do(t, "GET", g.url+path, headers, "").status)
		}
		return out
	}
	equalInts := func(name string, got, want []int) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", name, got, want)
				return
			}
		}
	}
	equalInts("default throttle", statuses("/default", 3, nil), []int{200, 200, 429})
	equalInts("route throttle", statuses("/own", 4, nil), []int{200, 200, 200, 429})
	equalInts("ip A", statuses("/ip", 2, map[string]string{"X-Forwarded-For": "198.51.100.1"}), []int{200, 429})
	equalInts("ip B", statuses("/ip", 2, map[string]string{"X-Forwarded-For": "198.51.100.2"}), []int{200, 429})
	equalInts("tenant a", statuses("/tenant", 2, map[string]string{"X-Tenant": "a"}), []int{200, 429})
	equalInts("tenant b", statuses("/tenant", 2, map[string]string{"x-tenant": "b"}), []int{200, 429})
	if got := calls.Load(); got != 2+3+1+1+1+1 {
		t.Errorf("function invoked %d times: throttled requests must not reach it", got)
	}

	r := do(t, "GET", g.url+"/own", nil, "")
	if r.status != 429 || r.body != `{"message":"Too Many Requests"}` {
		t.Errorf("throttled answer: %d %s", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", r.header("Retry-After"))
	}
	if r.header("RateLimit-Policy") != `"throttle";q=3;w=3000` || r.header("RateLimit") == "" {
		t.Errorf("RateLimit headers: policy %q, state %q", r.header("RateLimit-Policy"), r.header("RateLimit"))
	}
}

func TestFunctionConcurrencyLimit(t *testing.T) {
	fn, entered, release := startHeldFunction(t)
	g := startGateway(t, `
functions: {f: {backend: http, url: "`+fn+`", concurrency: 1}}
routes: [{route: "GET /x", function: f}]
`)
	first := make(chan int, 1)
	go func() { first <- do(t, "GET", g.url+"/x", nil, "").status }()
	<-entered
	if r := do(t, "GET", g.url+"/x", nil, ""); r.status != 429 || r.body != `{"message":"Too Many Requests"}` {
		t.Errorf("second concurrent request: %d %s", r.status, r.body)
	}
	release()
	if s := <-first; s != 200 {
		t.Errorf("first request: %d", s)
	}
	if r := do(t, "GET", g.url+"/x", nil, ""); r.status != 200 {
		t.Errorf("after the first finished: %d", r.status)
	}
}

// TestSharedLimitAcrossReplicas: two gateways on one real redis-server
// enforce one global limit under concurrent load.
func TestSharedLimitAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	fn, calls := countingFunction(t)
	// A generous timeout and onStoreError: deny, so that a Redis call slowed
	// by a loaded machine is not let through uncounted (the default policy)
	// and shows as a shortfall rather than as a broken limit.
	config := `
ratelimit: {store: redis, redis: {url: "` + srv.URL + `", timeout: 2s}, onStoreError: deny}
functions: {f: {backend: http, url: "` + fn + `"}}
routes: [{route: "GET /x", function: f, throttle: {rate: 20, burst: 10}}]
`
	a, b := startGateway(t, config), startGateway(t, config)
	start := time.Now()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := a.url
			if i%2 == 1 {
				url = b.url
			}
			for range 40 {
				if do(t, "GET", url+"/x", nil, "").status == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	want := 10 + 20*elapsed
	if got := float64(ok.Load()); got > want+2 || got < want-4 {
		t.Errorf("%v allowed in %.2fs across two replicas, want about %.1f (burst 10 + 20/s)", got, elapsed, want)
	}
	if calls.Load() != ok.Load() {
		t.Errorf("function saw %d, gateways allowed %d", calls.Load(), ok.Load())
	}
}

func TestRedisDownFollowsOnStoreError(t *testing.T) {
	for _, policy := range []struct {
		name   string
		status int
	}{{"allow", 200}, {"deny", 429}} {
		t.Run(policy.name, func(t *testing.T) {
			srv := redistest.Start(t)
			g := startGateway(t, `
ratelimit: {store: redis, redis: {url: "`+srv.URL+`", timeout: 100ms}, onStoreError: `+policy.name+`}
functions: {f: {backend: builtin, handler: mock, response: {statusCode: 200}}}
routes: [{route: "GET /x", function: f, throttle: {rate: 100, burst: 100}}]
`)
			if r := do(t, "GET", g.url+"/x", nil, ""); r.status != 200 {
				t.Fatalf("with Redis up: %d", r.status)
			}
			srv.Stop()
			if r := do(t, "GET", g.url+"/x", nil, ""); r.status != policy.status {
				t.Errorf("with Redis down: %d, want %d", r.status, policy.status)
			}
			srv.Start()
			eventuallyStatus(t, g.url+"/x", 200)
		})
	}
}

// eventuallyStatus asks url until it answers status: a store that is down
// is probed again only by a request ratelimit.ProbeInterval after the last
// failure, so requests must keep coming.
func eventuallyStatus(t *testing.T, url string, status int) {
	t.Helper()
	waitFor(t, url+" to answer "+strconv.Itoa(status), func() bool { return do(t, "GET", url, nil, "").status == status })
}
