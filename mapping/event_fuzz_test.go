package mapping

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fasthttp"
)

// FuzzAppendEvent feeds raw HTTP requests through fasthttp's parser and
// checks that every event of every flavour is valid JSON that aws-lambda-go
// decodes.
func FuzzAppendEvent(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "events", "*.http"))
	for _, s := range seeds {
		raw, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, []byte("a%2Fb"))
	}
	f.Add([]byte("GET /\xff\xfe?%zz=%&&=x;y HTTP/1.1\r\nHost: \xc3\x28\r\nCookie: ;;a\r\n\r\n"), []byte("%"))
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n\x00\"\\"), []byte("\x00"))

	routes := []*Route{
		testRoute(f, Route{API: APIHTTP, Format: FormatV2, Key: "ANY /{proxy+}", Resource: "/{proxy+}", StageVariables: map[string]string{"k": "\"v\""}}),
		testRoute(f, Route{API: APIHTTP, Format: FormatV1, Key: "$default", Resource: "$default"}),
		testRoute(f, Route{API: APIREST, Format: FormatV1, Key: "ANY /{proxy+}", Resource: "/{proxy+}", Stage: "dev", BinaryMediaTypes: mustMedia("*/*")}),
		testRoute(f, Route{API: APIREST, Format: FormatV1, Key: "ANY /{proxy+}", Resource: "/{proxy+}", Stage: "dev"}),
	}
	f.Fuzz(func(t *testing.T, raw, param []byte) {
		ctx := new(fasthttp.RequestCtx)
		ctx.Request.Header.DisableNormalizing()
		if err := ctx.Request.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
			return
		}
		req := testRequest(ctx, Param{Name: "proxy", Value: param})
		req.SourceIP = param
		for _, rt := range routes {
			event := AppendEvent(nil, rt, req)
			if !json.Valid(event) {
				t.Fatalf("invalid JSON for %v:\n%q", rt.Key, event)
			}
			var err error
			if rt.Format == FormatV2 {
				err = json.Unmarshal(event, new(events.APIGatewayV2HTTPRequest))
			} else {
				err = json.Unmarshal(event, new(events.APIGatewayProxyRequest))
			}
			if err != nil {
				t.Fatalf("event does not decode: %v\n%q", err, event)
			}
		}
	})
}
