package awslambda

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/backend"
)

// fakeLambda serves the Lambda Invoke API on 127.0.0.1; the function name
// picks the behaviour. It records the last request's path and query.
type fakeLambda struct {
	url      string
	lastPath string
	lastBody string
	lastCtx  string
}

func startFake(t *testing.T) *fakeLambda {
	t.Helper()
	f := &fakeLambda{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.lastPath, f.lastBody, f.lastCtx = r.URL.RequestURI(), string(body), r.Header.Get("X-Amz-Client-Context")
		if r.Header.Get("X-Amz-Invocation-Type") != "RequestResponse" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
			w.WriteHeader(400)
			return
		}
		fail := func(status int, typ, msg string) {
			w.Header().Set("X-Amzn-ErrorType", typ)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"Type":"User","message":"`+msg+`"}`)
		}
		switch {
		case strings.Contains(r.URL.Path, "/functions/ok/"):
			w.Header().Set("X-Amz-Executed-Version", "$LATEST")
			io.WriteString(w, `{"statusCode":200,"body":"hi"}`)
		case strings.Contains(r.URL.Path, "/functions/broken/"):
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"boom","errorType":"errorString"}`)
		case strings.Contains(r.URL.Path, "/functions/busy/"):
			fail(429, "TooManyRequestsException", "Rate Exceeded.")
		case strings.Contains(r.URL.Path, "/functions/big/"):
			fail(413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes")
		case strings.Contains(r.URL.Path, "/functions/missing/"):
			fail(404, "ResourceNotFoundException", "Function not found")
		case strings.Contains(r.URL.Path, "/functions/down/"):
			fail(500, "ServiceException", "internal")
		case strings.Contains(r.URL.Path, "/functions/slow/"):
			<-r.Context().Done() // slower than any timeout: answers nothing until the client gives up
		}
	})}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
	f.url = "http://" + ln.Addr().String()
	return f
}

// newStarted builds and starts a Client for cfg, a lambda function in
// us-east-1.
func newStarted(t *testing.T, name string, cfg Config) *Client {
	t.Helper()
	cfg.Region = "us-east-1"
	c, err := New(name, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInvoke(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	f := startFake(t)
	cases := []struct {
		name    string
		timeout time.Duration
		want    string
		fnErr   string
		kind    backend.Kind
	}{
		{name: "ok", want: `{"statusCode":200,"body":"hi"}`},
		{name: "broken", fnErr: "Unhandled"},
		{name: "busy", kind: backend.KindThrottled},
		{name: "big", kind: backend.KindTooLarge},
		{name: "missing", kind: backend.KindRejected},
		{name: "down", kind: backend.KindUnavailable},
		{name: "slow", timeout: 200 * time.Millisecond, kind: backend.KindTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newStarted(t, tc.name, Config{Endpoint: f.url, Timeout: tc.timeout})
			out, err := c.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{"k":1}`), ClientContext: []byte(`{"custom":{}}`)}, []byte("x"))
			var fe *backend.FunctionError
			switch {
			case tc.want != "":
				if err != nil || string(out) != "x"+tc.want {
					t.Errorf("got %q, %v", out, err)
				}
				if f.lastBody != `{"k":1}` || f.lastCtx != "eyJjdXN0b20iOnt9fQ==" {
					t.Errorf("sent body %q client context %q", f.lastBody, f.lastCtx)
				}
			case tc.fnErr != "":
				if !errors.As(err, &fe) || fe.Type != tc.fnErr || !strings.Contains(string(fe.Payload), "boom") {
					t.Errorf("got %v", err)
				}
			default:
				if !backend.IsKind(err, tc.kind) {
					t.Errorf("got %v, want %v", err, tc.kind)
				}
			}
		})
	}
}

func TestFunctionNameAndQualifier(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	f := startFake(t)
	c := newStarted(t, "local-name", Config{Endpoint: f.url, FunctionName: "ok", Qualifier: "live"})
	if _, err := c.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if f.lastPath != "/2015-03-31/functions/ok/invocations?Qualifier=live" {
		t.Errorf("path %q", f.lastPath)
	}
}

// New reads nothing: a missing region is found by Start, which loads the
// AWS configuration, and an invocation before Start is refused.
func TestStartLoadsConfig(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	c, err := New("fn", &Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{}`)}, nil)
	if !backend.IsKind(err, backend.KindUnavailable) || !errors.Is(err, backend.ErrNotStarted) {
		t.Errorf("Invoke before Start: got %v, want unavailable: %v", err, backend.ErrNotStarted)
	}
	err = c.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "awslambda: no region") {
		t.Errorf("Start: got %v, want awslambda: no region", err)
	}
}
