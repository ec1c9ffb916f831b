package bench

import (
	"context"
	"fmt"
	"time"
)

// invokeBody is the event both rows of the invoke scenario send.
const invokeBody = `{"order":7,"items":["a","b"]}`

// runInvoke compares the Invoke API with an HTTP route, both calling the
// builtin echo on the same Portico with the same body: the route builds a
// 2.0 event around it and maps the result back, the Invoke API hands it on
// as it is.
func runInvoke(ctx context.Context, s *session) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	gw, err := s.gateway("invoke", fmt.Sprintf(`invokeApi: {listen: %q}
functions:
  echo: {backend: builtin, handler: echo}
routes:
  - {route: "POST /echo", function: echo}
`, addr))
	if err != nil {
		return err
	}
	invokeURL := "http://" + addr + "/2015-03-31/functions/echo/invocations"
	if !waitListening(addr, 5*time.Second) {
		return fmt.Errorf("the Invoke API did not listen on %s", addr)
	}
	rows := []row{
		{name: "HTTP route (2.0 event)", url: gw + "/echo", method: "POST", body: []byte(invokeBody)},
		{name: "Invoke API", url: invokeURL, method: "POST", body: []byte(invokeBody)},
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	s.ratio("Invoke API / HTTP route (req/s)", res["Invoke API"], res["HTTP route (2.0 event)"], throughput)
	return nil
}
