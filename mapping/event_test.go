package mapping

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fasthttp"
)

var update = flag.Bool("update", false, "rewrite the golden events in testdata/events")

var testTime = time.Date(2020, time.March, 10, 5, 16, 23, 135_000_000, time.UTC)

// readRequest parses a raw HTTP request the way the gateway's server does:
// header names kept as received.
func readRequest(t testing.TB, raw []byte) *fasthttp.RequestCtx {
	t.Helper()
	ctx := new(fasthttp.RequestCtx)
	ctx.Request.Header.DisableNormalizing()
	if err := ctx.Request.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
		t.Fatalf("read request: %v", err)
	}
	return ctx
}

func testRoute(t testing.TB, rt Route) *Route {
	t.Helper()
	if rt.APIID == "" {
		rt.APIID = "local"
	}
	rt.AccountID = "123456789012"
	if rt.Stage == "" {
		rt.Stage = "$default"
	}
	text, err := NewMediaTypes(DefaultTextMediaTypes)
	if err != nil {
		t.Fatal(err)
	}
	rt.TextMediaTypes = text
	rt.Compile()
	return &rt
}

func testRequest(ctx *fasthttp.RequestCtx, params ...Param) *Request {
	return &Request{
		Ctx:            ctx,
		Path:           AppendUnescaped(nil, ctx.URI().PathOriginal(), false),
		RawPath:        ctx.URI().PathOriginal(),
		RequestID:      []byte("JKJaXmPLvHcESHA="),
		UUID:           []byte("77375676-0000-4b79-853a-f982474efe18"),
		Time:           testTime,
		SourceIP:       []byte("192.0.2.1"),
		ForwardedFor:   []byte("192.0.2.1"),
		ForwardedPort:  []byte("8080"),
		ForwardedProto: []byte("http"),
		TraceID:        []byte("Root=1-5e66d96f-7491f09xmpl79d18acf3d050"),
		Params:         params,
	}
}

type eventCase struct {
	name   string
	route  Route
	params []Param
	check  func(t *testing.T, event []byte)
}

func decodeV2(t *testing.T, event []byte) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatalf("event does not decode into APIGatewayV2HTTPRequest: %v\n%s", err, event)
	}
	return ev
}

func decodeV1(t *testing.T, event []byte) events.APIGatewayProxyRequest {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatalf("event does not decode into APIGatewayProxyRequest: %v\n%s", err, event)
	}
	return ev
}

func equal(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", field, got, want)
	}
}

var eventCases = []eventCase{
	{
		name:   "v2-get-params",
		route:  Route{API: APIHTTP, Format: FormatV2, Key: "GET /pets/{name}/photos/{proxy+}", Resource: "/pets/{name}/photos/{proxy+}", StageVariables: map[string]string{"env": "dev"}},
		params: []Param{{Name: "name", Value: []byte("dog house")}, {Name: "proxy", Value: []byte("a/b")}},
		check: func(t *testing.T, event []byte) {
			ev := decodeV2(t, event)
			equal(t, "version", ev.Version, "2.0")
			equal(t, "routeKey", ev.RouteKey, "GET /pets/{name}/photos/{proxy+}")
			equal(t, "rawPath", ev.RawPath, "/pets/dog house/photos/a/b")
			equal(t, "rawQueryString", ev.RawQueryString, "name=Rex&tag=a&tag=b&q=hello+world%21")
			equal(t, "cookies", ev.Cookies, []string{"s=1", "theme=dark", "lang=en"})
			equal(t, "headers", ev.Headers, map[string]string{
				"host": "api.example.com:8080", "user-agent": "curl/8.0", "accept": "*/*",
				"x-multi": "one,two", "x-forwarded-for": "192.0.2.1", "x-forwarded-port": "8080",
				"x-forwarded-proto": "http", "x-amzn-trace-id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
			})
			equal(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"name": "Rex", "tag": "a,b", "q": "hello world!"})
			equal(t, "pathParameters", ev.PathParameters, map[string]string{"name": "dog house", "proxy": "a/b"})
			equal(t, "stageVariables", ev.StageVariables, map[string]string{"env": "dev"})
			equal(t, "body", ev.Body, "")
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, false)
			rc := ev.RequestContext
			equal(t, "requestContext.domainName", rc.DomainName, "api.example.com")
			equal(t, "requestContext.domainPrefix", rc.DomainPrefix, "api")
			equal(t, "requestContext.http", rc.HTTP, events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "GET", Path: "/pets/dog house/photos/a/b", Protocol: "HTTP/1.1", SourceIP: "192.0.2.1", UserAgent: "curl/8.0",
			})
			equal(t, "requestContext.requestId", rc.RequestID, "JKJaXmPLvHcESHA=")
			equal(t, "requestContext.routeKey", rc.RouteKey, "GET /pets/{name}/photos/{proxy+}")
			equal(t, "requestContext.stage", rc.Stage, "$default")
			equal(t, "requestContext.time", rc.Time, "10/Mar/2020:05:16:23 +0000")
			equal(t, "requestContext.timeEpoch", rc.TimeEpoch, int64(1583817383135))
			equal(t, "requestContext.accountId", rc.AccountID, "123456789012")
			equal(t, "requestContext.apiId", rc.APIID, "local")
			if bytes.Contains(event, []byte(`"authorizer"`)) {
				t.Errorf("authorizer present without an authorizer")
			}
		},
	},
	{
		name:  "v2-post-json",
		route: Route{API: APIHTTP, Format: FormatV2, Key: "POST /items", Resource: "/items"},
		check: func(t *testing.T, event []byte) {
			ev := decodeV2(t, event)
			equal(t, "body", ev.Body, `{"name":"café","n":1}`)
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, false)
			equal(t, "content-length", ev.Headers["content-length"], "22")
			equal(t, "cookies", ev.Cookies, []string(nil))
			equal(t, "queryStringParameters", ev.QueryStringParameters, map[string]string(nil))
			equal(t, "pathParameters", ev.PathParameters, map[string]string(nil))
			for _, key := range []string{`"cookies"`, `"queryStringParameters"`, `"pathParameters"`, `"stageVariables"`} {
				if bytes.Contains(event, []byte(key)) {
					t.Errorf("%s present, want it omitted", key)
				}
			}
		},
	},
	{
		name:  "v2-post-binary",
		route: Route{API: APIHTTP, Format: FormatV2, Key: "$default", Resource: "$default"},
		check: func(t *testing.T, event []byte) {
			ev := decodeV2(t, event)
			equal(t, "body", ev.Body, "iVBORw==")
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, true)
			equal(t, "routeKey", ev.RouteKey, "$default")
		},
	},
	{
		name:  "v2-post-form",
		route: Route{API: APIHTTP, Format: FormatV2, Key: "POST /form", Resource: "/form"},
		check: func(t *testing.T, event []byte) {
			ev := decodeV2(t, event)
			equal(t, "body", ev.Body, "YT0xJmI9Mg==")
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, true)
		},
	},
	{
		name:   "rest-get",
		route:  Route{API: APIREST, Format: FormatV1, Key: "GET /pets/{id}", Resource: "/pets/{id}", Stage: "dev"},
		params: []Param{{Name: "id", Value: []byte("42")}},
		check: func(t *testing.T, event []byte) {
			ev := decodeV1(t, event)
			if bytes.Contains(event, []byte(`"version"`)) {
				t.Errorf("REST event has a version key")
			}
			equal(t, "resource", ev.Resource, "/pets/{id}")
			equal(t, "path", ev.Path, "/pets/42")
			equal(t, "httpMethod", ev.HTTPMethod, "GET")
			equal(t, "headers", ev.Headers, map[string]string{
				"Host": "abc123.execute-api.us-east-1.amazonaws.com", "User-Agent": "Mozilla",
				"Accept": "text/html", "accept": "application/json", "Cookie": "a=1; b=2", "X-Custom-Header": "Mixed",
				"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Port": "8080", "X-Forwarded-Proto": "http",
				"X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
			})
			equal(t, "multiValueHeaders[Accept]", ev.MultiValueHeaders["Accept"], []string{"text/html"})
			equal(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"a": "2", "b": "3", "empty": ""})
			equal(t, "multiValueQueryStringParameters", ev.MultiValueQueryStringParameters, map[string][]string{"a": {"1", "2"}, "b": {"3"}, "empty": {""}})
			equal(t, "pathParameters", ev.PathParameters, map[string]string{"id": "42"})
			equal(t, "body", ev.Body, "")
			rc := ev.RequestContext
			equal(t, "requestContext.path", rc.Path, "/dev/pets/42")
			equal(t, "requestContext.stage", rc.Stage, "dev")
			equal(t, "requestContext.requestId", rc.RequestID, "77375676-0000-4b79-853a-f982474efe18")
			equal(t, "requestContext.extendedRequestId", rc.ExtendedRequestID, "JKJaXmPLvHcESHA=")
			equal(t, "requestContext.resourcePath", rc.ResourcePath, "/pets/{id}")
			equal(t, "requestContext.requestTime", rc.RequestTime, "10/Mar/2020:05:16:23 +0000")
			equal(t, "requestContext.requestTimeEpoch", rc.RequestTimeEpoch, int64(1583817383135))
			equal(t, "requestContext.identity.sourceIp", rc.Identity.SourceIP, "192.0.2.1")
			equal(t, "requestContext.identity.userAgent", rc.Identity.UserAgent, "Mozilla")
			equal(t, "requestContext.domainPrefix", rc.DomainPrefix, "abc123")
			if len(rc.ResourceID) != 6 {
				t.Errorf("resourceId %q, want 6 characters", rc.ResourceID)
			}
			for _, key := range []string{`"body":null`, `"stageVariables":null`} {
				if !bytes.Contains(event, []byte(key)) {
					t.Errorf("event lacks %s", key)
				}
			}
		},
	},
	{
		name:   "rest-post-binary",
		route:  Route{API: APIREST, Format: FormatV1, Key: "ANY /files/{proxy+}", Resource: "/files/{proxy+}", Stage: "dev", BinaryMediaTypes: mustMedia("image/*")},
		params: []Param{{Name: "proxy", Value: []byte("x+y/img.png")}},
		check: func(t *testing.T, event []byte) {
			ev := decodeV1(t, event)
			equal(t, "path", ev.Path, "/files/x%2By/img.png")
			equal(t, "pathParameters", ev.PathParameters, map[string]string{"proxy": "x+y/img.png"})
			equal(t, "body", ev.Body, "iVBORw==")
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, true)
			equal(t, "queryStringParameters", ev.QueryStringParameters, map[string]string(nil))
			if !bytes.Contains(event, []byte(`"queryStringParameters":null,"multiValueQueryStringParameters":null`)) {
				t.Errorf("query maps are not null")
			}
		},
	},
	{
		name:   "rest-post-text",
		route:  Route{API: APIREST, Format: FormatV1, Key: "ANY /files/{proxy+}", Resource: "/files/{proxy+}", Stage: "dev", BinaryMediaTypes: mustMedia("image/*")},
		params: []Param{{Name: "proxy", Value: []byte("notes.txt")}},
		check: func(t *testing.T, event []byte) {
			ev := decodeV1(t, event)
			equal(t, "body", ev.Body, "hello")
			equal(t, "isBase64Encoded", ev.IsBase64Encoded, false)
		},
	},
	{
		name:  "v1http-get",
		route: Route{API: APIHTTP, Format: FormatV1, Key: "GET /v1/search", Resource: "/v1/search"},
		check: func(t *testing.T, event []byte) {
			ev := decodeV1(t, event)
			if !bytes.HasPrefix(event, []byte(`{"version":"1.0",`)) {
				t.Errorf("HTTP API 1.0 event does not start with its version")
			}
			equal(t, "headers[x-one]", ev.Headers["x-one"], "2")
			equal(t, "multiValueHeaders[x-one]", ev.MultiValueHeaders["x-one"], []string{"1", "2"})
			equal(t, "headers[cookie]", ev.Headers["cookie"], "k=v")
			equal(t, "queryStringParameters", ev.QueryStringParameters, map[string]string{"q": "café"})
			equal(t, "requestContext.requestId", ev.RequestContext.RequestID, "JKJaXmPLvHcESHA=")
			if !bytes.Contains(event, []byte(`"resourceId":null`)) {
				t.Errorf("HTTP API 1.0 resourceId is not null")
			}
		},
	},
}

func mustMedia(patterns ...string) MediaTypes {
	m, err := NewMediaTypes(patterns)
	if err != nil {
		panic(err)
	}
	return m
}

func TestAppendEvent(t *testing.T) {
	for _, tc := range eventCases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "events", tc.name+".http"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := readRequest(t, raw)
			rt := testRoute(t, tc.route)
			event := AppendEvent(nil, rt, testRequest(ctx, tc.params...))
			if !json.Valid(event) {
				t.Fatalf("invalid JSON:\n%s", event)
			}
			tc.check(t, event)
			compareGolden(t, filepath.Join("testdata", "events", tc.name+".json"), event)
		})
	}
}

// compareGolden compares event with the golden file as JSON values; -update
// rewrites the file.
func compareGolden(t *testing.T, path string, event []byte) {
	t.Helper()
	if *update {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, event, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -update to create it)", err)
	}
	var gotV, wantV any
	if err := json.Unmarshal(event, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("event differs from %s:\ngot  %s", path, event)
	}
}

// REST shows the path as received and HTTP APIs the decoded one; either
// way decoding the event's path once gives Request.Path, the path that
// chose the route. The stage segment comes off REST's path even when it
// was sent encoded.
func TestEventPathForms(t *testing.T) {
	ctx := readRequest(t, []byte("GET /d%65v/a%2Fb%20c HTTP/1.1\r\nHost: h\r\n\r\n"))
	req := testRequest(ctx)
	if string(req.Path) != "/dev/a/b c" {
		t.Fatalf("test request: Path %q", req.Path)
	}
	rest := decodeV1(t, AppendEvent(nil, testRoute(t, Route{API: APIREST, Format: FormatV1, Key: "$default", Resource: "/{proxy+}", Stage: "dev"}), req))
	equal(t, "REST path", rest.Path, "/a%2Fb%20c")
	equal(t, "REST requestContext.path", rest.RequestContext.Path, "/d%65v/a%2Fb%20c")
	v1 := decodeV1(t, AppendEvent(nil, testRoute(t, Route{API: APIHTTP, Format: FormatV1, Key: "$default", Resource: "$default", Stage: "dev"}), req))
	equal(t, "HTTP API 1.0 path", v1.Path, "/dev/a/b c")
	v2 := decodeV2(t, AppendEvent(nil, testRoute(t, Route{API: APIHTTP, Format: FormatV2, Key: "$default", Resource: "$default", Stage: "dev"}), req))
	equal(t, "rawPath", v2.RawPath, "/dev/a/b c")
	equal(t, "http.path", v2.RequestContext.HTTP.Path, "/dev/a/b c")
}
