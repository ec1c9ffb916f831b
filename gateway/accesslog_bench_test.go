package gateway

import (
	"bufio"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkHandlerAccessLog is the handler's CPU time per request of the
// mock route, without a network, with the access log off and on: the
// difference is the cost of a line.
func BenchmarkHandlerAccessLog(b *testing.B) {
	const config = `
functions:
  hello: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {content-type: text/plain}, body: "Hello from Portico!"}}
routes:
  - {route: "GET /hello/{name}", function: hello}
`
	for _, tc := range []struct {
		name string
		log  string
	}{{"off", "log: {access: false}"}, {"on", "log: {access: true}"}, {"sample=0.1", "log: {sample: 0.1}"}} {
		b.Run(tc.name, func(b *testing.B) {
			log, _ := newAccessLogger(b, filepath.Join(b.TempDir(), "access.log"))
			g := loadTestGateway(b, tc.log+config, WithLogger(log))
			defer g.Close()
			var req fasthttp.Request
			req.Header.DisableNormalizing()
			raw := "GET /hello/world?x=1 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
			if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := new(fasthttp.RequestCtx)
				ctx.Init(&req, nil, nil)
				for pb.Next() {
					ctx.Response.Reset()
					g.handle(ctx)
				}
			})
		})
	}
}
