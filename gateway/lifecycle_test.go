package gateway

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// startHeldFunction serves a Lambda-Invoke-API endpoint that holds each
// invocation until release is called (or the test ends), and reports each
// arrival on arrived.
func startHeldFunction(t *testing.T) (url string, arrived <-chan struct{}, release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := make(chan struct{}, 16)
	held := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		in <- struct{}{}
		<-held
		ctx.SetBodyString(`{"statusCode":200,"body":"late"}`)
	}}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { release(); srv.Shutdown() })
	return "http://" + ln.Addr().String(), in, release
}

// fetch is do for another goroutine: it reports failures in the response.
func fetch(url string) *response {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	if err := testClient.DoTimeout(req, resp, 20*time.Second); err != nil {
		return &response{body: err.Error()}
	}
	return &response{status: resp.StatusCode(), body: string(resp.Body()),
		headers: map[string][]string{"apigw-requestid": {string(resp.Header.Peek("apigw-requestid"))}}}
}

// serveObserved serves config with its warnings recorded, until the test
// ends or stop is called.
func serveObserved(t *testing.T, config string) (s *Server, url string, logs *observer.ObservedLogs, stop func() error) {
	t.Helper()
	core, logs := observer.New(zap.WarnLevel)
	g := loadTestGateway(t, config, WithLogger(zap.New(core)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s = NewServer(g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, nil) }()
	var once sync.Once
	var serveErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(20 * time.Second):
				t.Error("gateway did not stop")
			}
		})
		return serveErr
	}
	t.Cleanup(func() { stop(); s.Gateway().Close() }) //nolint:errcheck
	return s, "http://" + ln.Addr().String(), logs, stop
}

// TestGracefulDrain checks that after shutdown begins, new connections are
// refused while an accepted request runs to its end.
func TestGracefulDrain(t *testing.T) {
	fn, arrived, release := startHeldFunction(t)
	_, url, _, stop := serveObserved(t, `
limits: {timeout: 10s, drainTimeout: 10s}
functions: {held: {backend: http, url: "`+fn+`/held"}}
routes: [{route: "GET /held", function: held}]
`)
	got := make(chan *response, 1)
	go func() { got <- fetch(url + "/held") }()
	<-arrived
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	addr := strings.TrimPrefix(url, "http://")
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections while draining")
		}
	}
	release()
	if r := <-got; r.status != 200 || r.body != "late" {
		t.Errorf("in-flight request: got %d %q, want it to finish", r.status, r.body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestDrainLogsCutRequests checks a drain that gives up names each request
// it cuts, by the request id the client sees.
func TestDrainLogsCutRequests(t *testing.T) {
	for _, drain := range []string{"shutdown", "reload"} {
		t.Run(drain, func(t *testing.T) {
			fn, arrived, release := startHeldFunction(t)
			config := `
limits: {timeout: 10s, drainTimeout: 200ms}
functions: {held: {backend: http, url: "` + fn + `/held"}}
routes: [{route: "GET /held/{id}", function: held}]
`
			s, url, logs, stop := serveObserved(t, config)
			got := make(chan *response, 1)
			go func() { got <- fetch(url + "/held/7") }()
			<-arrived
			if drain == "shutdown" {
				stop() //nolint:errcheck
			} else {
				s.Reload(loadTestGateway(t, config))
			}
			release()
			r := <-got
			cut := logs.FilterMessage(drain + " cut a request in flight").All()
			if len(cut) != 1 {
				t.Fatalf("got %d cut lines, want 1: %v", len(cut), logs.All())
			}
			f := cut[0].ContextMap()
			if f["request_id"] != r.header("apigw-requestid") || f["route_key"] != "GET /held/{id}" ||
				f["method"] != "GET" || f["path"] != "/held/7" {
				t.Errorf("got %v, want the request (id %q)", f, r.header("apigw-requestid"))
			}
			if d, _ := f["elapsed"].(time.Duration); d < 200*time.Millisecond {
				t.Errorf("elapsed %v, want at least the drain timeout", f["elapsed"])
			}
		})
	}
}

// TestDefaultDrainOutlastsTimeout checks the default drain lets a request
// run to every limit: its body read, its authorizer, then its function.
func TestDefaultDrainOutlastsTimeout(t *testing.T) {
	for _, limits := range []string{"", "limits: {timeout: 60s}\n"} {
		g := loadTestGateway(t, limits+`
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: "GET /echo", function: echo}]
`)
		l := g.Config().Limits
		if longest := max(l.ReadTimeout, l.Timeout) + l.Timeout; l.DrainTimeout <= longest {
			t.Errorf("%q: drainTimeout %v, want more than the longest request the limits allow, %v", limits, l.DrainTimeout, longest)
		}
		g.Close()
	}
}
