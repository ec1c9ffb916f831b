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
	var rows []row
	for _, logged := range []bool{false, true} {
		if (logged && s.o.AccessLog == "off") || (!logged && s.o.AccessLog == "on") {
			continue
		}
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		config := fmt.Sprintf(`invokeApi: {listen: %q}
functions:
  echo: {backend: builtin, handler: echo}
routes:
  - {route: "POST /echo", function: echo}
`, addr)
		g := gatewayRun{proc: "invoke"}
		if logged {
			g = gatewayRun{suffix: ", access log on", proc: "invoke-logged"}
			g.url, err = s.gatewayAccessLog(g.proc, config)
		} else {
			g.url, err = s.gateway(g.proc, config)
		}
		if err != nil {
			return err
		}
		if !waitListening(addr, 5*time.Second) {
			return fmt.Errorf("the Invoke API did not listen on %s", addr)
		}
		rows = append(rows, rowsOn([]gatewayRun{g}, row{name: "HTTP route (2.0 event)", url: "/echo", method: "POST", body: []byte(invokeBody)})...)
		invoke := row{name: "Invoke API", url: "http://" + addr + "/2015-03-31/functions/echo/invocations", method: "POST", body: []byte(invokeBody)}
		invoke.name += g.suffix
		invoke.procs = []string{"gateway " + g.proc}
		rows = append(rows, invoke)
	}
	res, err := s.measure(ctx, rows)
	if err != nil {
		return err
	}
	for _, suffix := range []string{"", ", access log on"} {
		if res["Invoke API"+suffix] != nil {
			s.ratio("Invoke API / HTTP route"+suffix+" (req/s)", res["Invoke API"+suffix], res["HTTP route (2.0 event)"+suffix], throughput)
		}
	}
	return nil
}
