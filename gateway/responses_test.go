package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/ratelimit"
)

// Each case: a mock function returns result, the client must see the rest.
func TestResponseShapes(t *testing.T) {
	cases := []struct {
		name    string
		api     string // http or rest
		payload string
		result  string // YAML of the mock's response
		accept  string
		status  int
		body    string
		headers map[string]string
		cookies []string
	}{
		{name: "2.0 inferred object", payload: "2.0", result: `{message: hi}`,
			status: 200, body: `{"message":"hi"}`, headers: map[string]string{"content-type": "application/json"}},
		{name: "2.0 inferred string", payload: "2.0", result: `"Hello from Lambda!"`,
			status: 200, body: `Hello from Lambda!`, headers: map[string]string{"content-type": "application/json"}},
		{name: "2.0 explicit with cookies", payload: "2.0",
			result: `{statusCode: 201, headers: {X-Thing: a}, cookies: ["a=1; Path=/; HttpOnly", "b=2"], body: made}`,
			status: 201, body: "made", headers: map[string]string{"x-thing": "a", "content-type": "text/plain; charset=utf-8"},
			cookies: []string{"a=1; Path=/; HttpOnly", "b=2"}},
		{name: "2.0 base64 body", payload: "2.0", result: `{statusCode: 200, isBase64Encoded: true, body: aGVsbG8=, headers: {content-type: application/octet-stream}}`,
			status: 200, body: "hello", headers: map[string]string{"content-type": "application/octet-stream"}},
		{name: "2.0 ignores multiValueHeaders", payload: "2.0", result: `{statusCode: 200, multiValueHeaders: {X-A: [b]}, body: x}`,
			status: 200, body: "x", headers: map[string]string{"x-a": ""}},
		{name: "2.0 malformed statusCode", payload: "2.0", result: `{statusCode: {}}`,
			status: 500, body: `{"message":"Internal Server Error"}`},
		{name: "1.0 on http api", payload: "1.0", result: `{statusCode: 200, headers: {X-A: a}, multiValueHeaders: {X-B: [b1, b2]}, body: ok}`,
			status: 200, body: "ok", headers: map[string]string{"x-a": "a", "content-type": "application/json"}},
		{name: "1.0 without statusCode is malformed", payload: "1.0", result: `{body: ok}`,
			status: 500, body: `{"message":"Internal Server Error"}`},
		{name: "rest malformed is 502", api: "rest", payload: "1.0", result: `{body: {a: 1}, statusCode: 200}`,
			status: 502, body: `{"message": "Internal server error"}`},
		{name: "rest base64 kept as text without a binary Accept", api: "rest", payload: "1.0",
			result: `{statusCode: 200, isBase64Encoded: true, body: aGVsbG8=}`, accept: "text/html",
			status: 200, body: "aGVsbG8="},
		{name: "rest base64 decoded for a binary Accept", api: "rest", payload: "1.0",
			result: `{statusCode: 200, isBase64Encoded: true, body: aGVsbG8=}`, accept: "image/png, text/html",
			status: 200, body: "hello"},
		{name: "rest bad base64 is a configuration error", api: "rest", payload: "1.0",
			result: `{statusCode: 200, isBase64Encoded: true, body: "!!!"}`, accept: "image/png",
			status: 500, body: `{"message": "Internal server error"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config := "functions:\n  f: {backend: builtin, handler: mock, response: " + tc.result + "}\n" +
				"routes: [{route: \"GET /x\", function: f, payload: \"" + tc.payload + "\"}]\n"
			path := "/x"
			if tc.api == "rest" {
				config = "api: rest\nstage: dev\nbinaryMediaTypes: [image/*]\n" + config
				path = "/dev/x"
			}
			g := startGateway(t, config)
			var headers map[string]string
			if tc.accept != "" {
				headers = map[string]string{"Accept": tc.accept}
			}
			r := do(t, "GET", g.url+path, headers, "")
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
			for k, want := range tc.headers {
				if got := r.header(k); got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			if tc.cookies != nil {
				if got := r.headers["set-cookie"]; strings.Join(got, "|") != strings.Join(tc.cookies, "|") {
					t.Errorf("set-cookie: got %q, want %q", got, tc.cookies)
				}
			}
			if tc.api == "rest" {
				if len(r.header("x-amzn-RequestId")) != 36 || len(r.header("x-amz-apigw-id")) != 16 {
					t.Errorf("REST ids: x-amzn-RequestId %q, x-amz-apigw-id %q", r.header("x-amzn-RequestId"), r.header("x-amz-apigw-id"))
				}
			} else if len(r.header("apigw-requestid")) != 16 {
				t.Errorf("apigw-requestid: got %q", r.header("apigw-requestid"))
			}
		})
	}
}

func TestMultiValueHeadersReachClient(t *testing.T) {
	g := startGateway(t, `
functions:
  f: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {X-B: b1, Set-Cookie: "c=3"}, multiValueHeaders: {X-B: [b1, b2], Set-Cookie: ["a=1", "b=2"]}}}
routes: [{route: "GET /x", function: f, payload: "1.0"}]
`)
	r := do(t, "GET", g.url+"/x", nil, "")
	if got := strings.Join(r.headers["x-b"], ","); got != "b1,b2" {
		t.Errorf("X-B: got %q, want b1,b2 (merged, each pair once)", got)
	}
	if got := strings.Join(r.headers["set-cookie"], "|"); got != "a=1|b=2|c=3" {
		t.Errorf("Set-Cookie: got %q", got)
	}
}

func TestStringResultOption(t *testing.T) {
	g := startGateway(t, `
responses: {stringResult: json}
functions: {f: {backend: builtin, handler: mock, response: "Hello from Lambda!"}}
routes: [{route: "GET /x", function: f}]
`)
	if r := do(t, "GET", g.url+"/x", nil, ""); r.status != 200 || r.body != `"Hello from Lambda!"` {
		t.Errorf("got %d %s, want the JSON string with its quotes", r.status, r.body)
	}
}

// getWithin sends GET url with net/http, which reads past 1xx interim
// responses to the final one, and gives up after a deadline: a response
// that never ends fails the test instead of hanging it.
func getWithin(t *testing.T, url string) (int, string, error) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// A status outside 200..599 would make the client wait for a final
// response that never comes (1xx) or is not HTTP (600+): it is a malformed
// result.
func TestStatusOutsideRangeIsMalformed(t *testing.T) {
	flavours := []struct {
		name, api, prefix, payload string
		status                     int
		body                       string
	}{
		{"http api 2.0", "http", "", "2.0", 500, `{"message":"Internal Server Error"}`},
		{"http api 1.0", "http", "", "1.0", 500, `{"message":"Internal Server Error"}`},
		{"rest", "rest\nstage: dev", "/dev", "1.0", 502, `{"message": "Internal server error"}`},
	}
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			config := "api: " + fl.api + "\nfunctions:\n"
			routes := "routes:\n"
			codes := []string{"100", "101", "103", "199", "600", "0", "-200"}
			for _, code := range codes {
				config += "  f" + code + ": {backend: builtin, handler: mock, response: {statusCode: " + code + ", body: hi}}\n"
				routes += "  - {route: \"GET /s" + code + "\", function: f" + code + ", payload: \"" + fl.payload + "\"}\n"
			}
			config += "  ok: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}\n"
			routes += "  - {route: \"GET /s200\", function: ok, payload: \"" + fl.payload + "\"}\n"
			g := startGateway(t, config+routes)
			if status, _, err := getWithin(t, g.url+fl.prefix+"/s200"); err != nil || status != 200 {
				t.Fatalf("statusCode 200: got %d, %v", status, err)
			}
			for _, code := range codes {
				status, body, err := getWithin(t, g.url+fl.prefix+"/s"+code)
				if err != nil || status != fl.status || body != fl.body {
					t.Errorf("statusCode %s: got %d %q (%v), want %d %q", code, status, body, err, fl.status, fl.body)
				}
			}
		})
	}
}

// rawGet sends a request over a plain TCP connection and returns the
// status line and the header lines as the server wrote them, names in
// their own case.
func rawGet(t *testing.T, baseURL, path string) (string, []string) {
	t.Helper()
	conn := rawSend(t, baseURL, "GET "+path+" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	defer conn.Close()
	return readRawHead(t, conn)
}

// rawSend opens a plain TCP connection to baseURL (10 s deadline) and
// writes request to it byte for byte; the caller closes it.
func rawSend(t *testing.T, baseURL, request string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	if _, err := conn.Write([]byte(request)); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return conn
}

// readRawHead reads a response's status line and header lines.
func readRawHead(t *testing.T, conn net.Conn) (string, []string) {
	t.Helper()
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the status line: %v", err)
	}
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the headers: %v", err)
		}
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			return strings.TrimRight(status, "\r\n"), lines
		}
		lines = append(lines, line)
	}
}

// headerNamed returns the value of the header line whose name is exactly
// name (case included), and whether there is one.
func headerNamed(lines []string, name string) (string, bool) {
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// The answer to a malformed result is an answer like any other: it keeps
// the headers the gateway set before the function ran (RateLimit) and the
// request ids, each in API Gateway's own case, and drops whatever the
// function's result had started to set.
func TestMalformedResultKeepsGatewayHeaders(t *testing.T) {
	cases := []struct {
		name, api, payload, path string
		result                   string
		status                   string
		ids                      []string
	}{
		{"http api 2.0 bad header name", "http", "2.0", "/x", `{statusCode: 200, headers: {X-Fn: a, "X(B)": b}, body: hi}`, "500", []string{"apigw-requestid"}},
		{"http api 1.0 bad multiValueHeaders", "http", "1.0", "/x", `{statusCode: 200, headers: {X-Fn: a}, multiValueHeaders: {X-Fn: [a], X-M: b}}`, "500", []string{"apigw-requestid"}},
		{"http api 2.0 bad cookie", "http", "2.0", "/x", `{statusCode: 200, headers: {X-Fn: a}, cookies: ["a=1", 7]}`, "500", []string{"apigw-requestid"}},
		{"http api bad base64", "http", "2.0", "/x", `{statusCode: 200, headers: {X-Fn: a}, isBase64Encoded: true, body: "!!"}`, "500", []string{"apigw-requestid"}},
		{"rest bad header value", "rest", "1.0", "/dev/x", `{statusCode: 200, headers: {X-Fn: a, X-Bad: {}}}`, "502", []string{"x-amzn-RequestId", "x-amz-apigw-id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config := "api: " + tc.api + "\n"
			if tc.api == "rest" {
				config += "stage: dev\n"
			}
			config += "functions:\n  f: {backend: builtin, handler: mock, response: " + tc.result + "}\n" +
				"  ok: {backend: builtin, handler: mock, response: {statusCode: 200, body: hi}}\n" +
				"routes:\n" +
				"  - {route: \"GET /x\", function: f, payload: \"" + tc.payload + "\", throttle: {rate: 100, burst: 100}}\n" +
				"  - {route: \"GET /ok\", function: ok, payload: \"" + tc.payload + "\", throttle: {rate: 100, burst: 100}}\n"
			g := startGateway(t, config)
			okPath := strings.TrimSuffix(tc.path, "/x") + "/ok"
			status, okLines := rawGet(t, g.url, okPath)
			if !strings.Contains(status, " 200 ") {
				t.Fatalf("valid result: %s", status)
			}
			status, lines := rawGet(t, g.url, tc.path)
			if !strings.Contains(status, " "+tc.status+" ") {
				t.Fatalf("malformed result: got %q, want %s; headers %q", status, tc.status, lines)
			}
			for _, name := range append([]string{ratelimit.HeaderRateLimit, ratelimit.HeaderRateLimitPolicy}, tc.ids...) {
				if _, ok := headerNamed(okLines, name); !ok {
					t.Errorf("valid result: no %q header in %q", name, okLines)
				}
				if _, ok := headerNamed(lines, name); !ok {
					t.Errorf("malformed result: no %q header in %q", name, lines)
				}
			}
			if v, ok := headerNamed(lines, "X-Fn"); ok {
				t.Errorf("malformed result: the function's header X-Fn: %s reached the client", v)
			}
			if v, _ := headerNamed(lines, "Content-Type"); v != "application/json" {
				t.Errorf("malformed result: Content-Type %q, want application/json; headers %q", v, lines)
			}
		})
	}
}

// A request that is not read in time gets 408, with the request id every
// answer carries.
func TestReadTimeoutCarriesRequestID(t *testing.T) {
	for _, api := range []string{"http", "rest"} {
		t.Run(api, func(t *testing.T) {
			g := startGateway(t, "api: "+api+"\nstage: dev\nlimits: {readTimeout: 200ms}\n"+
				"functions: {f: {backend: builtin, handler: echo}}\nroutes: [{route: \"GET /x\", function: f}]\n")
			conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
			// The header block never ends: the server's read times out.
			if _, err := conn.Write([]byte("GET /x HTTP/1.1\r\nHost: test\r\n")); err != nil {
				t.Fatal(err)
			}
			status, lines := readRawHead(t, conn)
			if !strings.HasPrefix(status, "HTTP/1.1 408") {
				t.Fatalf("got %q, want 408", status)
			}
			names := []string{"apigw-requestid"}
			if api == "rest" {
				names = []string{"x-amzn-RequestId", "x-amz-apigw-id"}
			}
			for _, name := range names {
				if v, ok := headerNamed(lines, name); !ok || len(v) < 16 {
					t.Errorf("no %s header (exact case) in %q", name, lines)
				}
			}
		})
	}
}
