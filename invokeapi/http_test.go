package invokeapi

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/builtin"
)

// rawRequest sends raw on a new connection to the server at url and
// returns the response.
func rawRequest(t *testing.T, url, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestUnknownOperation(t *testing.T) {
	s := New(&Config{Listen: "127.0.0.1:0"}, testFunctions(t), nil, WithRegion(testRegion), WithAccount(testAccount))
	url := startServer(t, s)
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"POST /2015-03-31/functions/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
		"DELETE /2015-03-31/functions/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /2015-03-31/functions/echo/policy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /2015-03-31/functions//configuration HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	} {
		resp := rawRequest(t, url, req)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" ||
			string(body) != `{"message":"Unknown operation"}` || len(resp.Header.Get("X-Amzn-RequestId")) != 36 {
			t.Errorf("%q: got %d %v %s", strings.SplitN(req, "\r\n", 2)[0], resp.StatusCode, resp.Header, body)
		}
	}
}

func TestRawInvokeAnswers(t *testing.T) {
	s := New(&Config{Listen: "127.0.0.1:0"}, testFunctions(t), nil, WithRegion(testRegion), WithAccount(testAccount))
	url := startServer(t, s)

	resp := rawRequest(t, url, "POST /2015-03-31/functions/fails/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "Unhandled" ||
		resp.Header.Get("X-Amz-Executed-Version") != "$LATEST" || resp.Header.Get("X-Amz-Log-Result") != "" ||
		string(body) != `{"errorMessage":"boom","errorType":"errorString"}` {
		t.Errorf("function error: got %d %v %s", resp.StatusCode, resp.Header, body)
	}

	resp = rawRequest(t, url, "POST /2015-03-31/functions/nope/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" ||
		string(body) != `{"Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope","Type":"User"}` {
		t.Errorf("not found: got %d %v %s", resp.StatusCode, resp.Header, body)
	}

	resp = rawRequest(t, url, "POST /2015-03-31/functions/busy/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 429 ||
		string(body) != `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}` {
		t.Errorf("throttled: got %d %s", resp.StatusCode, body)
	}

	resp = rawRequest(t, url, "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Invocation-Type: Later\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" {
		t.Errorf("bad invocation type: got %d %v", resp.StatusCode, resp.Header)
	}

	// A declared body over the limit is refused without being buffered or
	// waited for. (fasthttp reads the first 8 KiB of a body before the
	// handler runs; the rest is never sent.)
	resp = rawRequest(t, url, "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7000000\r\n\r\n"+
		strings.Repeat(" ", 8<<10))
	if resp.StatusCode != 413 || resp.Header.Get("X-Amzn-ErrorType") != "RequestEntityTooLargeException" {
		t.Errorf("declared too large: got %d %v", resp.StatusCode, resp.Header)
	}
	// So is a chunked one that grows past it.
	chunk := strings.Repeat("a", 1<<20)
	var b strings.Builder
	b.WriteString("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 7 {
		b.WriteString("100000\r\n" + chunk + "\r\n")
	}
	b.WriteString("0\r\n\r\n")
	resp = rawRequest(t, url, b.String())
	if resp.StatusCode != 413 {
		t.Errorf("chunked too large: got %d", resp.StatusCode)
	}
}

// TestAuthBeforeBody: a request with an unknown key is refused from its
// headers, before its body is read, and no function runs.
func TestAuthBeforeBody(t *testing.T) {
	ran := make(chan struct{}, 1)
	fns := map[string]Function{"f": {Invoker: funcInvoker(func(context.Context, *backend.Invocation, []byte) ([]byte, error) {
		ran <- struct{}{}
		return nil, nil
	})}}
	cfg := &Config{Listen: "127.0.0.1:0", Credentials: []Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}}
	s := New(cfg, fns, nil, WithRegion(testRegion), WithAccount(testAccount))
	url := startServer(t, s)
	date := time.Now().UTC().Format(amzDateFormat)
	// Only the first 8 KiB of the body are sent, which fasthttp reads
	// before the handler runs: an answer proves the rest was not waited for.
	resp := rawRequest(t, url, "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Date: "+date+
		"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDOTHER/"+date[:8]+"/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"+
		"\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat(" ", 8<<10))
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "UnrecognizedClientException" {
		t.Errorf("got %d %v", resp.StatusCode, resp.Header)
	}
	resp = rawRequest(t, url, "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Date: "+date+
		"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDPORTICOTEST/"+date[:8]+"/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"+
		"\r\nContent-Length: 2\r\n\r\n{}")
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("got %d %v", resp.StatusCode, resp.Header)
	}
	resp = rawRequest(t, url, "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: AWS AKID:sig\r\n\r\n")
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "IncompleteSignatureException" {
		t.Errorf("got %d %v", resp.StatusCode, resp.Header)
	}
	select {
	case <-ran:
		t.Error("the function ran for a refused request")
	default:
	}
	if got := gather(t, s)["portico_invokeapi_auth_failures_total{reason=UnrecognizedClientException}"]; got != 1 {
		t.Errorf("got %v UnrecognizedClientException failures, want 1", got)
	}
}

func TestMetrics(t *testing.T) {
	s := New(&Config{Listen: "127.0.0.1:0"}, testFunctions(t), &recordingQueue{}, WithRegion(testRegion), WithAccount(testAccount))
	ctx := context.Background()
	for _, c := range []Call{
		{FunctionName: "echo"}, {FunctionName: "echo"}, {FunctionName: "fails"}, {FunctionName: "busy"},
		{FunctionName: "nope"}, {FunctionName: "echo", Type: Event}, {FunctionName: "echo", Type: "Later"},
	} {
		s.Invoke(ctx, c)
	}
	got := gather(t, s)
	for series, n := range map[string]float64{
		"portico_invokeapi_invocations_total{function=,outcome=ResourceNotFoundException,type=RequestResponse}":    1,
		"portico_invokeapi_invocations_total{function=busy,outcome=TooManyRequestsException,type=RequestResponse}": 1,
		"portico_invokeapi_invocations_total{function=echo,outcome=ValidationException,type=invalid}":              1,
		"portico_invokeapi_invocations_total{function=echo,outcome=success,type=Event}":                            1,
		"portico_invokeapi_invocations_total{function=echo,outcome=success,type=RequestResponse}":                  2,
		"portico_invokeapi_invocations_total{function=fails,outcome=function_error,type=RequestResponse}":          1,
	} {
		if got[series] != n {
			t.Errorf("%s: got %v, want %v", series, got[series], n)
		}
	}
	if len(got) != 6 {
		t.Errorf("got %d series, want 6: %v", len(got), got)
	}
}

// gather collects s's metrics through a registry, as
// "name{label=value,...}" → value.
func gather(t *testing.T, s *Server) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetCounter().GetValue()
		}
	}
	return out
}

func TestSetFunctions(t *testing.T) {
	s := New(&Config{Listen: "127.0.0.1:0"}, testFunctions(t), nil, WithRegion(testRegion), WithAccount(testAccount))
	ctx := context.Background()
	if _, err := s.Invoke(ctx, Call{FunctionName: "fresh"}); err == nil || err.Status != 404 {
		t.Fatalf("got %v, want 404", err)
	}
	s.SetFunctions(map[string]Function{"fresh": {Invoker: builtin.Echo{}, ARN: "arn:aws:lambda:us-east-1:123456789012:function:fresh"}})
	res, err := s.Invoke(ctx, Call{FunctionName: "fresh", Payload: []byte(`{"x":1}`), LogTail: true})
	if err != nil || res.Status != 200 || res.ExecutedVersion != "$LATEST" || res.LogResult != "" || len(res.RequestID) != 36 {
		t.Fatalf("got %+v, %v", res, err)
	}
	if _, err := s.Invoke(ctx, Call{FunctionName: "echo"}); err == nil || err.Status != 404 {
		t.Fatalf("a removed function: got %v, want 404", err)
	}
}

// TestServeDrains: a request in flight when Serve's context ends gets its
// answer, and Serve returns.
func TestServeDrains(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	fns := map[string]Function{"slow": {Invoker: funcInvoker(func(_ context.Context, _ *backend.Invocation, dst []byte) ([]byte, error) {
		close(started)
		<-release
		return append(dst, `"done"`...), nil
	})}}
	s := New(&Config{Listen: "127.0.0.1:0"}, fns, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/2015-03-31/functions/slow/invocations", "application/json", nil)
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the function did not start")
	}
	cancel()
	close(release)
	select {
	case got := <-answer:
		if got != `"done"` {
			t.Errorf("got %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(defaultDrainTimeout + 5*time.Second):
		t.Fatal("Serve did not return")
	}
}
