package gateway

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

const benchConfig = `
log: {access: false}
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {content-type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /hello/{name}", function: hello, payload: "%s"}
`

// serveForBench serves handler on a 127.0.0.1 port until the benchmark ends.
func serveForBench(b *testing.B, handler fasthttp.RequestHandler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: handler, DisableHeaderNamesNormalizing: true, NoDefaultServerHeader: true}
	go srv.Serve(ln) //nolint:errcheck
	b.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func benchmarkHTTP(b *testing.B, url string) {
	client := &fasthttp.HostClient{Addr: url[len("http://"):], MaxConns: 512}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		req.SetRequestURI(url + "/hello/world?x=1")
		req.Header.Set("User-Agent", "bench")
		req.Header.Set("Accept", "*/*")
		for pb.Next() {
			if err := client.DoTimeout(req, resp, 5*time.Second); err != nil || resp.StatusCode() != 200 {
				b.Errorf("status %d, err %v", resp.StatusCode(), err)
				return
			}
		}
	})
}

// BenchmarkGatewayMockV2 is the whole path over a real listener: routing,
// the 2.0 event, the mock invoker, result decoding. Compare with
// BenchmarkBareFasthttp, which writes the same response bytes.
func BenchmarkGatewayMockV2(b *testing.B) { benchmarkGateway(b, "2.0") }

// BenchmarkGatewayMockV1 is BenchmarkGatewayMockV2 with 1.0 events.
func BenchmarkGatewayMockV1(b *testing.B) { benchmarkGateway(b, "1.0") }

// BenchmarkGatewayProcess is the whole path to a warm aws-lambda-go
// function run by the process backend (examples/hello).
func BenchmarkGatewayProcess(b *testing.B) {
	src, _ := filepath.Abs(filepath.Join("..", "examples", "hello"))
	benchmarkGatewayConfig(b, `
log: {access: false}
functions:
  hello: {backend: process, runtime: go, source: "`+src+`", minInstances: 2, concurrency: 64}
routes:
  - {route: "GET /hello/{name}", function: hello}
`)
}

// BenchmarkGatewayBuiltinEcho is BenchmarkGatewayProcess with the builtin
// echo in place of a process, for comparison.
func BenchmarkGatewayBuiltinEcho(b *testing.B) {
	benchmarkGatewayConfig(b, `
log: {access: false}
functions:
  echo: {backend: builtin, handler: echo}
routes:
  - {route: "GET /hello/{name}", function: echo}
`)
}

func benchmarkGateway(b *testing.B, payload string) {
	benchmarkGatewayConfig(b, fmt.Sprintf(benchConfig, payload))
}

func benchmarkGatewayConfig(b *testing.B, config string, opts ...Option) {
	g := loadTestGateway(b, config, opts...)
	b.Cleanup(func() { g.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln, nil) }()
	b.Cleanup(func() { cancel(); <-done })
	benchmarkHTTP(b, "http://"+ln.Addr().String())
}

// BenchmarkBareFasthttp is the baseline: a fasthttp server answering with
// the bytes the gateway's mock route answers with.
func BenchmarkBareFasthttp(b *testing.B) {
	url := serveForBench(b, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentType("text/plain")
		ctx.Response.Header.Set("apigw-requestid", "JKJaXmPLvHcESHA=")
		ctx.SetBodyString("Hello from Portico!")
	})
	benchmarkHTTP(b, url)
}

// BenchmarkGatewayHTTPBackend is the whole path to a function behind the
// http backend (a fasthttp function server in this process).
func BenchmarkGatewayHTTPBackend(b *testing.B) {
	fn := serveForBench(b, func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"Hello from Portico!"}`)
	})
	benchmarkGatewayConfig(b, `
log: {access: false}
functions:
  hello: {backend: http, url: "`+fn+`/2015-03-31/functions/hello/invocations"}
routes:
  - {route: "GET /hello/{name}", function: hello}
`)
}

// BenchmarkGatewayMockV2AccessLog is BenchmarkGatewayMockV2 with the
// access log on, written to a file as `serve` writes it.
func BenchmarkGatewayMockV2AccessLog(b *testing.B) {
	log, _ := newAccessLogger(b, filepath.Join(b.TempDir(), "access.log"))
	benchmarkGatewayConfig(b, strings.Replace(fmt.Sprintf(benchConfig, "2.0"), "access: false", "access: true", 1), WithLogger(log))
}
