package gateway

import (
	"context"
	"net"
	"testing"
)

// TestReloadKeepsLimitState: a SIGHUP reload with the same local store
// keeps the usage-plan quota and the route bucket where they were (5 of 5
// used stays 5 of 5), instead of handing every client a fresh allowance.
func TestReloadKeepsLimitState(t *testing.T) {
	const config = `
functions:
  echo: {backend: builtin, handler: echo}
authorizers:
  keys: {type: apikey}
apiKeys:
  - {name: a, value: key-a-0000000000000001, usagePlan: small}
usagePlans:
  small: {quota: {limit: 5, period: day}}
routes:
  - {route: "GET /keyed", function: echo, authorizer: keys}
  - {route: "GET /open", function: echo, throttle: {rate: 0.001, burst: 3}}
`
	srv := NewServer(loadTestGateway(t, config))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, nil) }()
	defer func() { cancel(); <-done; srv.Gateway().Close() }()
	url := "http://" + ln.Addr().String()
	key := map[string]string{"x-api-key": "key-a-0000000000000001"}

	statuses := func(path string, n int, headers map[string]string) []int {
		var out []int
		for range n {
			out = append(out, do(t, "GET", url+path, headers, "").status)
		}
		return out
	}
	if got := statuses("/keyed", 5, key); !allEqual(got, 200) {
		t.Fatalf("before reload, quota: %v, want 5 × 200", got)
	}
	if got := statuses("/open", 3, nil); !allEqual(got, 200) {
		t.Fatalf("before reload, throttle: %v, want 3 × 200", got)
	}
	srv.Reload(loadTestGateway(t, config))
	if got := statuses("/keyed", 3, key); !allEqual(got, 429) {
		t.Errorf("after reload, quota: %v, want 3 × 429 (the day's 5 are used)", got)
	}
	if got := statuses("/open", 2, nil); !allEqual(got, 429) {
		t.Errorf("after reload, throttle: %v, want 2 × 429 (the burst is used)", got)
	}
}

func allEqual(got []int, want int) bool {
	for _, g := range got {
		if g != want {
			return false
		}
	}
	return true
}
