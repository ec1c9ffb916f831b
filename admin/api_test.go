package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// call sends one request to the admin API as the page does (same origin)
// and decodes the JSON answer into out.
func call(t *testing.T, s *served, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.admin+path, strings.NewReader(body))
	req.Header.Set("Origin", s.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func TestAPI(t *testing.T) {
	s := serve(t, testConfig)
	get(t, s.public+"/broken", 3, 500)
	get(t, s.public+"/teapot", 2, 418)

	var routes []map[string]any
	if status := call(t, s, "GET", "/api/routes", "", &routes); status != 200 || len(routes) != 4 {
		t.Fatalf("/api/routes: %d, %d routes", status, len(routes))
	}
	if r := routes[1]; r["route"] != "POST /orders" || r["function"] != "echo" || r["backend"] != "builtin" ||
		r["payload"] != "2.0" || r["timeoutMs"] != 5000.0 || r["authorizer"] != "-" {
		t.Errorf("/api/routes[1]: %v", r)
	}

	type functions struct {
		Functions []struct {
			Name        string          `json:"name"`
			Invocations int             `json:"invocations"`
			Errors      map[string]int  `json:"errors"`
			Instances   *map[string]int `json:"instances"`
		} `json:"functions"`
	}
	testkit.Eventually(t, 5*time.Second, "the sampler to count the requests", func() bool {
		var f functions
		call(t, s, "GET", "/api/functions", "", &f)
		for _, fn := range f.Functions {
			if fn.Name == "broken" {
				return fn.Invocations == 3 && fn.Errors["malformed"] == 3 && fn.Instances == nil
			}
		}
		return false
	})

	var sched struct {
		Schedules []struct {
			Name, Function, Expression string
			Next                       time.Time
		}
	}
	call(t, s, "GET", "/api/functions", "", &sched)
	if len(sched.Schedules) != 1 {
		t.Fatalf("schedules: %+v, want hourly", sched.Schedules)
	}
	next, hour := sched.Schedules[0].Next, time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	if h := sched.Schedules[0]; h.Name != "hourly" || h.Function != "echo" || !(next.Equal(hour) || next.Equal(hour.Add(time.Hour))) {
		t.Errorf("schedule: %+v, want hourly firing at %v", h, hour)
	}

	var stats struct {
		Seconds []map[string]any `json:"seconds"`
		Routes  map[string]struct {
			Rate      float64 `json:"rate"`
			ErrorRate float64 `json:"errorRate"`
		} `json:"routes"`
	}
	if status := call(t, s, "GET", "/api/stats", "", &stats); status != 200 || len(stats.Seconds) == 0 || stats.Routes["GET /broken"].ErrorRate != 1 {
		t.Errorf("/api/stats: %d %+v", status, stats)
	}

	for _, tc := range []struct {
		name, body, wantError string
		wantStatus            int
	}{
		{"a mock through its route", `{"method":"PUT","path":"/teapot"}`, "", 418},
		{"an absolute URL", `{"method":"GET","path":"http://example.com/"}`, "path: want a path starting with /", 0},
		{"a scheme-relative URL", `{"method":"GET","path":"//example.com/"}`, "path: want a path starting with /", 0},
		{"a method with a space", `{"method":"GET /x","path":"/"}`, "method: want an HTTP method", 0},
		{"a header that splits", `{"method":"GET","path":"/","headers":[["X-A","b\r\nX-Injected: 1"]]}`, "headers: X-A", 0},
		// A GET declaring a body would hold the gateway waiting for it.
		{"a framing header", `{"method":"GET","path":"/pets/1","headers":[["content-length","100"]]}`, "headers: content-length", 0},
		{"a chunked body", `{"method":"POST","path":"/orders","headers":[["Transfer-Encoding","chunked"]],"body":"x"}`, "headers: Transfer-Encoding", 0},
		{"a path that splits", `{"method":"GET","path":"/ HTTP/1.1\r\nHost: x"}`, "path: want a path", 0},
		{"a path with a space", `{"method":"GET","path":"/a b"}`, "path: want a path", 0},
		{"not JSON", `{`, "not a try request", 0},
	} {
		t.Run("try: "+tc.name, func(t *testing.T) {
			var a struct {
				Error  string `json:"error"`
				Status int    `json:"status"`
				Body   string `json:"body"`
			}
			if status := call(t, s, "POST", "/api/try", tc.body, &a); status != 200 {
				t.Fatalf("status %d", status)
			}
			if !strings.HasPrefix(a.Error, tc.wantError) || a.Status != tc.wantStatus || (tc.wantError != "") != (a.Error != "") {
				t.Errorf("got %d %q, want %d %q", a.Status, a.Error, tc.wantStatus, tc.wantError)
			}
		})
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/try"}, {"GET", "/api/reload"}, {"POST", "/api/routes"}, {"POST", "/"},
	} {
		if status := call(t, s, tc.method, tc.path, "", nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", tc.method, tc.path, status)
		}
	}
	if status := call(t, s, "GET", "/nothing-here.js", "", nil); status != 404 {
		t.Errorf("an unknown file: %d, want 404", status)
	}
}

// With admin.token, the page and its API need it; the probes don't.
func TestAPIToken(t *testing.T) {
	s := serve(t, strings.Replace(testConfig, "admin: ADMIN", "admin: {listen: ADMIN, token: t0ken-for-the-test}", 1))
	if status := call(t, s, "GET", "/api/routes", "", nil); status != 401 {
		t.Errorf("without the token: %d, want 401", status)
	}
	req, _ := http.NewRequest("POST", s.admin+"/api/reload", nil)
	req.Header.Set("Authorization", "Bearer t0ken-for-the-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		LastReload struct {
			OK bool `json:"ok"`
		} `json:"lastReload"`
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || !st.LastReload.OK {
		t.Errorf("a reload with the token: %d %v %+v", resp.StatusCode, err, st)
	}
}

// A response whose headers pass fasthttp's default read buffer (4 KiB)
// still reaches the page: the gateway sends such answers to its clients.
func TestTryLargeHeaders(t *testing.T) {
	big := strings.Repeat("a", 20<<10)
	s := serve(t, strings.Replace(testConfig, "routes:\n",
		"  big: {backend: builtin, handler: mock, response: {statusCode: 200, headers: {X-Big: "+big+"}, body: ok}}\n"+
			"routes:\n  - {route: \"GET /big\", function: big}\n", 1))
	var a struct {
		Error   string      `json:"error"`
		Status  int         `json:"status"`
		Headers [][2]string `json:"headers"`
	}
	call(t, s, "POST", "/api/try", `{"method":"GET","path":"/big"}`, &a)
	got := ""
	for _, h := range a.Headers {
		if strings.EqualFold(h[0], "X-Big") {
			got = h[1]
		}
	}
	if a.Status != 200 || got != big {
		t.Errorf("got %d %.120q and X-Big of %d bytes, want 200 and %d bytes", a.Status, a.Error, len(got), len(big))
	}
}
