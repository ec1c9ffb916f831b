package mapping

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fasthttp"
)

// typicalBody is 1 KB of JSON text, the body of a typical API answer.
var typicalBody = func() string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for b.Len() < 900 {
		b.WriteString(`{"id":"pet-0001","name":"Rex","tags":["a","b"]},`)
	}
	b.WriteString(`{"id":"pet-last"}],"pad":"`)
	b.WriteString(strings.Repeat("x", 1024-b.Len()-2))
	b.WriteString(`"}`)
	if b.Len() != 1024 || !json.Valid([]byte(b.String())) {
		panic("typicalBody is not 1 KB of JSON")
	}
	return b.String()
}()

// typicalResults are what aws-lambda-go handlers return for a typical
// answer: status, three headers, a 1 KB JSON body (which encoding/json
// escapes), and for 2.0 two cookies.
var typicalResults = map[string][]byte{
	"v1": mustMarshal(events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Request-Id": "c6af9ac6-7b61-11e6-9a41-93e812345678"},
		Body:       typicalBody,
	}),
	"v1-multi": mustMarshal(events.APIGatewayProxyResponse{
		StatusCode:        200,
		Headers:           map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Request-Id": "c6af9ac6-7b61-11e6-9a41-93e812345678"},
		MultiValueHeaders: map[string][]string{"X-Request-Id": {"c6af9ac6-7b61-11e6-9a41-93e812345678"}, "Set-Cookie": {"a=1; Path=/", "b=2; HttpOnly"}},
		Body:              typicalBody,
	}),
	"v1-base64": mustMarshal(events.APIGatewayProxyResponse{
		StatusCode:      200,
		Headers:         map[string]string{"Content-Type": "image/png", "Cache-Control": "max-age=60", "X-Request-Id": "c6af9ac6"},
		Body:            base64.StdEncoding.EncodeToString([]byte(typicalBody)),
		IsBase64Encoded: true,
	}),
	"v2": mustMarshal(events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Request-Id": "c6af9ac6-7b61-11e6-9a41-93e812345678"},
		Body:       typicalBody,
		Cookies:    []string{"session=abc123; Path=/; Secure; HttpOnly", "theme=dark; Max-Age=31536000"},
	}),
	"v2-inferred": []byte(typicalBody),
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func benchmarkWriteResult(b *testing.B, write func([]byte, *fasthttp.Response, *ResultOptions) error, result []byte, opts *ResultOptions) {
	var resp fasthttp.Response
	b.ReportAllocs()
	b.SetBytes(int64(len(result)))
	for b.Loop() {
		resp.Reset()
		resp.Header.DisableNormalizing()
		if err := write(result, &resp, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteResultV1(b *testing.B) {
	benchmarkWriteResult(b, WriteResultV1, typicalResults["v1"], &optsV1)
}

func BenchmarkWriteResultV1MultiValue(b *testing.B) {
	benchmarkWriteResult(b, WriteResultV1, typicalResults["v1-multi"], &optsV1)
}

func BenchmarkWriteResultV1Base64(b *testing.B) {
	benchmarkWriteResult(b, WriteResultV1, typicalResults["v1-base64"], &optsV1Binary)
}

func BenchmarkWriteResultV2(b *testing.B) {
	benchmarkWriteResult(b, WriteResultV2, typicalResults["v2"], &optsV2)
}

func BenchmarkWriteResultV2Inferred(b *testing.B) {
	benchmarkWriteResult(b, WriteResultV2, typicalResults["v2-inferred"], &optsV2)
}
