package builtin

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portico/portico/backend"
)

func TestEchoReturnsTheEventAsBody(t *testing.T) {
	event := `{"a":"q\"uo\\te","ctl":"\u0001\n\t","uni":"é"}`
	out, err := Echo{}.Invoke(context.Background(), &backend.Invocation{Event: []byte(event)}, []byte("prefix:"))
	if err != nil {
		t.Fatal(err)
	}
	if string(out[:7]) != "prefix:" {
		t.Fatalf("did not append to dst: %q", out)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out[7:], &resp); err != nil {
		t.Fatalf("result is not a proxy response: %v: %s", err, out)
	}
	if resp.StatusCode != 200 || resp.Body != event || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("got %+v", resp)
	}
}

func TestMockReturnsItsResponse(t *testing.T) {
	inv, err := New(&Config{Handler: "mock", Response: map[string]any{"statusCode": 418, "body": "tea"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inv.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{}`)}, nil)
	if err != nil || string(out) != `{"body":"tea","statusCode":418}` {
		t.Errorf("got %s, %v", out, err)
	}
	if _, err := New(&Config{Handler: "nope"}); err == nil {
		t.Errorf("unknown builtin accepted")
	}
}
