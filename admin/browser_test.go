package admin_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/platform"
)

// -screenshot makes TestBrowserScreenshot serve configs/quickstart.yaml,
// send it some traffic and write docs/admin.png (`make screenshot`);
// without it that test is skipped, so `make test` leaves the tree clean.
var screenshot = flag.Bool("screenshot", false, "write docs/admin.png from the quickstart config")

// chromiumNames are the names Debian and others install Chromium or Chrome as.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// css is a CSS selector for the first element that matches.
type css = chromedp.CSS

// browser starts a headless Chromium for the test, or skips it when there
// is none, and returns a context for its tab that ends within a minute.
// The flags keep it from reaching for a network it may not have.
func browser(t *testing.T) context.Context {
	t.Helper()
	var exe string
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Skip("no Chromium on PATH: install it (`apt-get install chromium`, or `make deps`) to run the browser tests")
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1500),
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first action starts the browser, and must not have a deadline:
	// the deadline would stop the browser with it.
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("Chromium at %s does not start: %v", exe, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// get sends n GET requests to url and checks each gets status.
func get(t *testing.T, url string, n, status int) {
	t.Helper()
	for range n {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("GET %s: %d, want %d", url, resp.StatusCode, status)
		}
	}
}

// text is the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// pickRoute chooses a route in "try it", as a user does.
func pickRoute(route string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(css("#try-route"), route),
		chromedp.Evaluate[chromedp.Void](`void document.getElementById("try-route").dispatchEvent(new Event("change"))`),
	)
}

// TestBrowser loads the page in a real browser against a running gateway:
// the routes are listed, "try it" shows the function's answer, the traffic
// plot moves with load, the filter filters and the reload button reloads.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	s := serve(t, testConfig)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.admin+"/"),
		chromedp.WaitVisible(css(`#route-rows tr[data-route="GET /pets/{id}"]`)),
		chromedp.WaitVisible(css(`#function-rows tr[data-function="teapot"]`)),
	); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#route-rows tr[data-route]").length`))
	if err != nil || rows != 4 {
		t.Errorf("routes listed: %d (%v), want 4", rows, err)
	}
	routes, functions := text(t, ctx, "#route-rows"), text(t, ctx, "#function-rows")
	for _, want := range []string{"GET /pets/{id}", "POST /orders", "ANY /teapot", "GET /broken", "builtin", "5s"} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes panel lacks %q: %s", want, routes)
		}
	}
	for _, want := range []string{"echo", "teapot", "broken"} {
		if !strings.Contains(functions, want) {
			t.Errorf("functions panel lacks %q: %s", want, functions)
		}
	}

	t.Run("try it", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			pickRoute("GET /pets/{id}"),
			chromedp.SetValue(css("#try-path"), "/pets/42?color=red"),
			chromedp.SetValue(css("#try-headers"), "X-Trial: from-the-page"),
			chromedp.Click(css("#try-send")),
			chromedp.WaitVisible(css("#try-result")),
			chromedp.Poll[chromedp.Void](`document.getElementById("try-status").textContent !== ""`, chromedp.WithPollingTimeout(10*time.Second)),
		); err != nil {
			t.Fatal(err)
		}
		if status := text(t, ctx, "#try-status"); status != "HTTP 200" {
			t.Errorf("status %q, want HTTP 200", status)
		}
		body := text(t, ctx, "#try-response-body")
		for _, want := range []string{`"routeKey": "GET /pets/{id}"`, `"id": "42"`, `"x-trial": "from-the-page"`, `"color": "red"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the echoed event lacks %s:\n%s", want, body)
			}
		}
	})

	t.Run("the plot moves with traffic", func(t *testing.T) {
		before, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Number(document.getElementById("traffic").dataset.requests || 0)`))
		if err != nil {
			t.Fatal(err)
		}
		lineBefore, _ := chromedp.Run(ctx, chromedp.AttributeValue(css("#plot-rate polyline.rate"), "points"))
		get(t, s.public+"/pets/1", 150, 200)
		get(t, s.public+"/broken", 10, 500) // a malformed result: HTTP API's 500
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
			fmt.Sprintf(`Number(document.getElementById("traffic").dataset.requests || 0) >= %v`, before+160),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("the plotted requests stayed near %v: %v", before, err)
		}
		lineAfter, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#plot-rate polyline.rate"), "points"))
		if err != nil || lineAfter.Value == "" || lineAfter.Value == lineBefore.Value {
			t.Errorf("the rate line did not change: %q (%v)", lineAfter.Value, err)
		}
		// The routes panel shows each route's last minute.
		const broken = `#route-rows tr[data-route="GET /broken"] td:last-child`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('`+broken+`').textContent !== "–"`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatal(err)
		}
		if share := text(t, ctx, broken); share != "100.0%" {
			t.Errorf("GET /broken's 5xx share: %q, want 100.0%%", share)
		}
	})

	t.Run("filter", func(t *testing.T) {
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(css("#route-filter"), "teapot"),
			chromedp.Poll[chromedp.Void](`document.querySelectorAll("#route-rows tr[data-route]").length === 1`, chromedp.WithPollingTimeout(5*time.Second)),
			chromedp.Evaluate[chromedp.Void](`const f = document.getElementById("route-filter"); f.value = ""; void f.dispatchEvent(new Event("input"))`),
		); err != nil {
			t.Fatalf("filtering on teapot: %v", err)
		}
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#route-rows tr[data-route]").length`)); n != 4 {
			t.Errorf("routes after clearing the filter: %d (%v), want 4", n, err)
		}
	})

	t.Run("reload refused, then applied", func(t *testing.T) {
		good, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(good), "handler: echo}", "handler: echo, timout: 3s}", 1)
		if err := os.WriteFile(s.file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(css("#reload")), chromedp.WaitVisible(css("#reload-problems"))); err != nil {
			t.Fatal(err)
		}
		want := s.file + `:5:43: functions.echo: unknown field "timout" (did you mean "timeout"?)`
		if problems := text(t, ctx, "#reload-problems"); !strings.Contains(problems, want) {
			t.Errorf("problems shown: %q, want %q", problems, want)
		}
		fixed := strings.Replace(string(good), `  - {route: "GET /broken", function: broken}`,
			"  - {route: \"GET /broken\", function: broken}\n  - {route: \"GET /new\", function: echo}", 1)
		if err := os.WriteFile(s.file, []byte(fixed), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx,
			chromedp.Click(css("#reload")),
			chromedp.Poll[chromedp.Void](`document.getElementById("reload-problems").hidden && document.querySelector('#route-rows tr[data-route="GET /new"]') !== null`,
				chromedp.WithPollingTimeout(10*time.Second)),
		); err != nil {
			t.Fatalf("after a good reload: %v; the page shows %q", err, text(t, ctx, "#config"))
		}
	})

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "admin.png"), png, 0o644); err != nil || len(png) < 10000 {
		t.Errorf("screenshot: %d bytes, %v", len(png), err)
	}
}

// TestBrowserScreenshot writes docs/admin.png: the quickstart config with
// some traffic, as the README shows it. Run it with `make screenshot`.
func TestBrowserScreenshot(t *testing.T) {
	if !*screenshot {
		t.Skip("writes docs/admin.png: run with -args -screenshot (make screenshot)")
	}
	ctx := browser(t)
	file := filepath.Join("..", "configs", "quickstart.yaml") // shown on the page as written
	s := serveFile(t, file, testkit.FreeAddr(t), testkit.FreeAddr(t), platform.WithUnstartedFunctions())
	if err := chromedp.Do(ctx, chromedp.Navigate(s.admin+"/")); err != nil {
		t.Fatal(err)
	}
	// Some traffic for the plots, over several seconds so that the lines
	// have a shape: every route of the quickstart, a crash now and then.
	paths := []string{"/hello?name=you", "/echo/a/b?x=1", "/v1/echo", "/teapot", "/node/hello", "/python/hello", "/slow?ms=40"}
	for i := range 40 {
		for j, p := range paths {
			for range 2 + (i*7+j*3)%9 {
				resp, err := http.Get(s.public + p)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
		}
		if i%9 == 0 {
			if resp, err := http.Get(s.public + "/crash"); err == nil {
				resp.Body.Close()
			}
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
			`Number(document.querySelector("#plot-rate polyline.rate").dataset.points) >= %d`, i+2),
			chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx,
		pickRoute("ANY /echo/{proxy+}"),
		chromedp.SetValue(css("#try-method"), "POST"),
		chromedp.SetValue(css("#try-path"), "/echo/a/b?x=1"),
		chromedp.SetValue(css("#try-headers"), "Content-Type: application/json"),
		chromedp.SetValue(css("#try-body"), `{"hi": 1}`),
		chromedp.Click(css("#try-send")),
		chromedp.WaitVisible(css("#try-result")),
		chromedp.Poll[chromedp.Void](`document.getElementById("try-status").textContent !== ""`),
	); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "docs", "admin.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

// TestBrowserLogin: with admin.token, a browser gets the login form, and
// the token it types there lets it in (the form's POST passes the
// same-origin check as a real browser sends it; the cookie it gets back
// carries the page's requests).
func TestBrowserLogin(t *testing.T) {
	ctx := browser(t)
	s := serve(t, strings.Replace(testConfig, "admin: ADMIN", "admin: {listen: ADMIN, token: t0ken-for-the-test}", 1))
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.admin+"/"),
		chromedp.WaitVisible(css(`input[name="token"]`)),
		chromedp.SendKeys(css(`input[name="token"]`), "wrong"),
		chromedp.Click(css(`button[type="submit"]`)),
		chromedp.WaitVisible(css(`p[role="alert"]`)),
		chromedp.SendKeys(css(`input[name="token"]`), "t0ken-for-the-test"),
		chromedp.Click(css(`button[type="submit"]`)),
		chromedp.WaitVisible(css(`#route-rows tr[data-route="GET /pets/{id}"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The cookie is out of the page's scripts' reach.
	if cookie, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); err != nil || cookie != "" {
		t.Errorf("document.cookie = %q (%v), want nothing: the cookie is HttpOnly", cookie, err)
	}
	if err := chromedp.Do(ctx,
		pickRoute("ANY /teapot"),
		chromedp.Click(css("#try-send")),
		chromedp.Poll[chromedp.Void](`document.getElementById("try-status").textContent === "HTTP 418"`, chromedp.WithPollingTimeout(10*time.Second)),
	); err != nil {
		t.Errorf("try it, signed in: %v", err)
	}
}

// The cost column is there while some function is metered, and goes with
// the last one: a reload that removes it leaves header and rows aligned.
func TestBrowserCostColumn(t *testing.T) {
	ctx := browser(t)
	code, err := filepath.Abs(filepath.Join("..", "examples", "python-hello"))
	if err != nil {
		t.Fatal(err)
	}
	metered := fmt.Sprintf("  py: {backend: process, runtime: python3.11, code: %q, handler: app.lambda_handler}\nroutes:\n", code)
	s := serve(t, strings.Replace(testConfig, "routes:\n", metered, 1))
	columns := `[document.querySelectorAll("#function-head th").length, document.querySelector("#function-rows tr").children.length]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.admin+"/"),
		chromedp.WaitVisible(css(`#function-rows tr[data-function="py"]`)),
		chromedp.WaitVisible(css(`#function-head th.cost`)),
	); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](columns)); err != nil || len(got) != 2 || got[0] != 12 || got[1] != 12 {
		t.Errorf("with a metered function: %v header and row cells (%v), want 12 and 12", got, err)
	}

	with, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	without := strings.Replace(string(with), metered, "routes:\n", 1)
	if err := os.WriteFile(s.file, []byte(without), 0o600); err != nil || without == string(with) {
		t.Fatalf("removing the metered function: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(css("#reload")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#function-rows tr[data-function="py"]') === null`, chromedp.WithPollingTimeout(10*time.Second)),
	); err != nil {
		t.Fatalf("after the reload: %v; the page shows %q", err, text(t, ctx, "#config"))
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](columns)); err != nil || len(got) != 2 || got[0] != 11 || got[1] != 11 {
		t.Errorf("with no metered function left: %v header and row cells (%v), want 11 and 11", got, err)
	}
}
