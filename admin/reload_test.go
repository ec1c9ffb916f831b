package admin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// While a reload drains the old gateway's requests, the new gateway
// already serves: the page's routes and numbers must be the new gateway's
// from the moment it serves, not from the moment the old one has drained
// (which would hide the traffic meanwhile, then show it all as one second).
func TestStatsWhileAReloadDrains(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
		fmt.Fprint(w, `{"statusCode":200,"body":"slow"}`)
	}))
	t.Cleanup(slow.Close)
	config := fmt.Sprintf(`
listen: LISTEN
admin: ADMIN
functions:
  echo: {backend: builtin, handler: echo}
  slow: {backend: http, url: %q}
routes:
  - {route: "GET /slow", function: slow}
`, slow.URL)
	s := serve(t, config)
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})

	slowDone := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.public + "/slow")
		if err == nil {
			resp.Body.Close()
		}
		slowDone <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request did not reach its backend")
	}

	text, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	text = []byte(strings.Replace(string(text), "routes:\n", "routes:\n  - {route: \"GET /new\", function: echo}\n", 1))
	if err := os.WriteFile(s.file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	reloaded := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", s.admin+"/api/reload", nil)
		req.Header.Set("Origin", s.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			reloaded <- 0
			return
		}
		resp.Body.Close()
		reloaded <- resp.StatusCode
	}()
	testkit.EventuallyGet(t, 10*time.Second, s.public+"/new", 200)
	get(t, s.public+"/new", 4, 200)

	testkit.Eventually(t, 5*time.Second, "the page to count the new route's requests while the old gateway drains", func() bool {
		var stats struct {
			Routes map[string]struct {
				Rate float64 `json:"rate"`
			} `json:"routes"`
		}
		call(t, s, "GET", "/api/stats", "", &stats)
		return stats.Routes["GET /new"].Rate > 0
	})
	var routes []struct {
		Route string `json:"route"`
	}
	call(t, s, "GET", "/api/routes", "", &routes)
	if len(routes) != 2 || routes[0].Route != "GET /new" {
		t.Errorf("routes while the old gateway drains: %+v, want the new config's, GET /new first", routes)
	}
	select {
	case status := <-reloaded:
		t.Fatalf("the reload answered (%d) before the slow request ended", status)
	default:
	}

	released = true
	close(release)
	if err := <-slowDone; err != nil {
		t.Errorf("the slow request: %v", err)
	}
	if status := <-reloaded; status != 200 {
		t.Errorf("the reload: %d, want 200", status)
	}
}
