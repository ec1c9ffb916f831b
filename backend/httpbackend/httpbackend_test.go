package httpbackend

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/testkit/invoketest"
)

func TestInvoke(t *testing.T) {
	base := invoketest.Start(t)
	deadURL := invoketest.DeadURL(t) + "/x"
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
			c, err := New(&Config{URL: tc.url, Timeout: tc.timeout})
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
	c, err := New(&Config{URL: invoketest.Start(t) + "/slow"})
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
	c, err := New(&Config{URL: invoketest.Start(t) + "/ctx"})
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
