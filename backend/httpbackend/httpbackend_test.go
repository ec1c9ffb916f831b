package httpbackend

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/lambdalimit"
)

// endpoint serves a Lambda Invoke API stand-in on 127.0.0.1; the path picks
// the behaviour.
func endpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/echo":
			ctx.SetBody(ctx.Request.Body())
		case "/ctx":
			ctx.SetBody(ctx.Request.Header.Peek("X-Amz-Client-Context"))
		case "/error":
			ctx.Response.Header.Set("X-Amz-Function-Error", "Unhandled")
			ctx.SetBodyString(`{"errorMessage":"boom","errorType":"errorString"}`)
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		case "/big":
			ctx.SetBody(make([]byte, lambdalimit.ResponseBytes+1))
		default:
			var status int
			for _, c := range ctx.Path()[1:] {
				status = status*10 + int(c-'0')
			}
			ctx.SetStatusCode(status)
		}
	}}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func TestInvoke(t *testing.T) {
	base := endpoint(t)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String() + "/x"
	dead.Close()
	cases := []struct {
		name, url string
		timeout   time.Duration
		want      string
		kind      backend.Kind
		fnErr     string
	}{
		{name: "result", url: base + "/echo", want: `{"k":"v"}`},
		{name: "function error", url: base + "/error", fnErr: "Unhandled"},
		{name: "throttled", url: base + "/429", kind: backend.KindThrottled},
		{name: "too large", url: base + "/413", kind: backend.KindTooLarge},
		{name: "not found", url: base + "/404", kind: backend.KindRejected},
		{name: "server error", url: base + "/502", kind: backend.KindUnavailable},
		{name: "timeout", url: base + "/slow", timeout: 100 * time.Millisecond, kind: backend.KindTimeout},
		{name: "refused", url: deadURL, kind: backend.KindUnavailable},
		{name: "oversized result", url: base + "/big", fnErr: "Function.ResponseSizeTooLarge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(&backend.FunctionConfig{Backend: "http", URL: tc.url, Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			out, err := c.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{"k":"v"}`)}, nil)
			var fe *backend.FunctionError
			switch {
			case tc.want != "":
				if err != nil || string(out) != tc.want {
					t.Errorf("got %q, %v", out, err)
				}
			case tc.fnErr != "":
				if !errors.As(err, &fe) || fe.Type != tc.fnErr {
					t.Errorf("got %v, want function error %s", err, tc.fnErr)
				}
			default:
				if !backend.IsKind(err, tc.kind) {
					t.Errorf("got %v, want %v", err, tc.kind)
				}
			}
		})
	}
}

func TestDeadlineFromContext(t *testing.T) {
	c, err := New(&backend.FunctionConfig{Backend: "http", URL: endpoint(t) + "/slow"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Invoke(ctx, &backend.Invocation{Event: []byte(`{}`)}, nil)
	if !backend.IsKind(err, backend.KindTimeout) || time.Since(start) > 400*time.Millisecond {
		t.Errorf("got %v after %v, want a timeout at the context's deadline", err, time.Since(start))
	}
}

func TestClientContextIsSentBase64(t *testing.T) {
	c, err := New(&backend.FunctionConfig{Backend: "http", URL: endpoint(t) + "/ctx"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{}`), ClientContext: []byte(`{"custom":{"a":"b"}}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"a":"b"}}`)); string(out) != want {
		t.Errorf("X-Amz-Client-Context: got %q, want %q", out, want)
	}
}
