package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serveAdmin serves g with h as its admin handler on real listeners and
// returns the admin listener's address.
func serveAdmin(t *testing.T, g *Gateway, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	adminLn, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(g, WithAdminHandler(h)).Serve(ctx, ln, adminLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return adminLn.Addr().String()
}

// adminDo sends one request to addr with the Host header of headers (or
// addr), and returns its status, a header and the body.
func adminDo(t *testing.T, addr, method, path string, headers map[string]string, body string) (int, *fasthttp.ResponseHeader, string) {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://" + addr + path)
	req.UseHostHeader = true
	req.Header.SetHost(addr)
	req.Header.SetMethod(method)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if body != "" {
		req.Header.SetContentType("application/x-www-form-urlencoded")
		req.SetBodyString(body)
	}
	if err := (&fasthttp.Client{}).DoTimeout(req, resp, 10*time.Second); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode(), &resp.Header, string(resp.Body())
}

// serveTokenAdmin serves an admin listener with admin.token s3cret-token
// and page behind its guard, and returns its address.
func serveTokenAdmin(t *testing.T, page fasthttp.RequestHandler) string {
	t.Helper()
	const cfg = `
admin: {listen: 127.0.0.1:0, token: s3cret-token}
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: $default, function: echo}]
`
	return serveAdmin(t, loadTestGateway(t, cfg), page)
}

func TestAdminGuard(t *testing.T) {
	addr := serveTokenAdmin(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("page " + string(ctx.Method())) })
	origin := "http://" + addr
	bearer := map[string]string{"Authorization": "Bearer s3cret-token"}

	status, h, _ := adminDo(t, addr, "POST", "/login", map[string]string{"Origin": origin}, "token=s3cret-token")
	if status != 303 {
		t.Fatalf("login: %d, want 303", status)
	}
	cookie := string(h.PeekCookie(adminCookie))
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") || strings.Contains(cookie, "s3cret") {
		t.Fatalf("login cookie %q: want HttpOnly, SameSite=Strict, and not the token", cookie)
	}
	var c fasthttp.Cookie
	if err := c.ParseBytes(h.PeekCookie(adminCookie)); err != nil {
		t.Fatal(err)
	}
	if c.MaxAge() != int(sessionTTL/time.Second) {
		t.Errorf("login cookie max-age %d, want %v", c.MaxAge(), sessionTTL)
	}
	session := "portico_admin=" + string(c.Value())

	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		body               string
		want               int
		wantBody           string
	}{
		{"probes stay open", "GET", "/healthz", nil, "", 200, `{"status":"ok"}`},
		{"readiness stays open", "GET", "/readyz", nil, "", 200, `{"status":"ready"}`},
		{"metrics need the token", "GET", "/metrics", nil, "", 401, "token required"},
		{"metrics with the token", "GET", "/metrics", bearer, "", 200, "portico_unmatched_requests_total"},
		{"page without the token", "GET", "/", nil, "", 401, "token required"},
		{"a browser gets the login form", "GET", "/", map[string]string{"Accept": "text/html"}, "", 401, `action="/login"`},
		{"wrong token", "GET", "/", map[string]string{"Authorization": "Bearer s3cret-tokeN"}, "", 401, "token required"},
		{"bearer token", "GET", "/api/routes", bearer, "", 200, "page GET"},
		{"lower-case scheme", "GET", "/", map[string]string{"Authorization": "bearer s3cret-token"}, "", 200, "page GET"},
		{"session cookie", "GET", "/", map[string]string{"Cookie": session}, "", 200, "page GET"},
		{"forged cookie", "GET", "/", map[string]string{"Cookie": "portico_admin=s3cret-token"}, "", 401, "token required"},
		{"cookie POST from the page", "POST", "/api/reload", map[string]string{"Cookie": session, "Origin": origin}, "", 200, "page POST"},
		{"cookie POST, fetch metadata", "POST", "/api/reload", map[string]string{"Cookie": session, "Sec-Fetch-Site": "same-origin"}, "", 200, "page POST"},
		{"cross-site form post", "POST", "/api/reload", map[string]string{"Cookie": session, "Origin": "http://evil.example"}, "", 403, "cross-origin"},
		{"cross-site by fetch metadata", "POST", "/api/reload", map[string]string{"Cookie": session, "Origin": origin, "Sec-Fetch-Site": "cross-site"}, "", 403, "cross-origin"},
		{"a browser form with Origin null", "POST", "/api/reload", map[string]string{"Cookie": session, "Origin": "null", "Sec-Fetch-Site": "same-origin"}, "", 200, "page POST"},
		{"Origin null alone", "POST", "/api/reload", map[string]string{"Cookie": session, "Origin": "null"}, "", 403, "cross-origin"},
		{"POST with no origin at all", "POST", "/api/reload", map[string]string{"Cookie": session}, "", 403, "cross-origin"},
		{"bearer POST from a script", "POST", "/api/reload", bearer, "", 200, "page POST"},
		{"wrong login", "POST", "/login", map[string]string{"Origin": origin}, "token=guess", 401, "Wrong token"},
		{"cross-site login", "POST", "/login", map[string]string{"Origin": "http://evil.example"}, "token=s3cret-token", 403, "cross-origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := adminDo(t, addr, tc.method, tc.path, tc.headers, tc.body)
			if status != tc.want || !strings.Contains(body, tc.wantBody) {
				t.Errorf("got %d %.80q, want %d with %q", status, body, tc.want, tc.wantBody)
			}
			if strings.Contains(body, "s3cret-token") {
				t.Errorf("the answer echoes the token: %q", body)
			}
			if tc.path != "/healthz" && tc.path != "/readyz" && string(h.Peek("X-Frame-Options")) != "DENY" {
				t.Errorf("X-Frame-Options %q, want DENY", h.Peek("X-Frame-Options"))
			}
		})
	}
}

func TestAdminGuardWithoutToken(t *testing.T) {
	const cfg = `
functions: {echo: {backend: builtin, handler: echo}}
routes: [{route: $default, function: echo}]
`
	addr := serveAdmin(t, loadTestGateway(t, cfg), func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("page") })
	_, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		want    int
	}{
		{"loopback IP", "GET", nil, 200},
		{"localhost", "GET", map[string]string{"Host": "localhost:" + port}, 200},
		{"a rebound DNS name", "GET", map[string]string{"Host": "attacker.example:" + port}, 403},
		{"same-origin POST", "POST", map[string]string{"Origin": "http://" + addr}, 200},
		{"cross-site POST", "POST", map[string]string{"Origin": "http://attacker.example:" + port}, 403},
		{"POST without origin", "POST", nil, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, body := adminDo(t, addr, tc.method, "/", tc.headers, ""); status != tc.want {
				t.Errorf("got %d %q, want %d", status, body, tc.want)
			}
		})
	}
}

// A browser sends the admin listener every cookie of its host, whatever
// the port: those of other local apps too. Headers the public listener
// takes (limits.maxHeaderBytes) reach the page as well.
func TestAdminTakesABrowsersCookies(t *testing.T) {
	addr := serveTokenAdmin(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("page") })
	others := "other_app=" + strings.Repeat("c", 6<<10)
	_, h, _ := adminDo(t, addr, "POST", "/login", map[string]string{"Origin": "http://" + addr}, "token=s3cret-token")
	var c fasthttp.Cookie
	if err := c.ParseBytes(h.PeekCookie(adminCookie)); err != nil {
		t.Fatal(err)
	}
	cookie := others + "; " + adminCookie + "=" + string(c.Value())
	if status, _, body := adminDo(t, addr, "GET", "/", map[string]string{"Cookie": cookie}, ""); status != 200 || body != "page" {
		t.Errorf("with 6 KiB of other cookies: %d %.80q, want 200 page", status, body)
	}
}

// TestAdminSessions: a login cookie is good until it expires, only for the
// guard (process) that signed it, and not once its expiry is changed.
func TestAdminSessions(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	g, other := newAdminGuard("t"), newAdminGuard("t")
	g.now = func() time.Time { return now }
	s := g.session(now.Add(sessionTTL))
	exp, sig, _ := strings.Cut(s, ".")
	later, _ := strconv.ParseInt(exp, 10, 64)
	for _, tc := range []struct {
		name  string
		guard *adminGuard
		c     string
		want  bool
	}{
		{"fresh", g, s, true},
		{"another process's", other, s, false},
		{"expiry pushed back", g, strconv.FormatInt(later+3600, 10) + "." + sig, false},
		{"no signature", g, exp, false},
		{"empty", g, "", false},
		{"garbage", g, "x.y", false},
		{"extra dot", g, s + ".", false},
		{"signature with a dot", g, exp + "." + sig[:10] + "." + sig[10:], false},
		{"plus sign", g, "+" + s, false},
		{"negative expiry", g, "-1." + g.sign("-1"), false},
		{"past int64", g, "99999999999999999999." + sig, false},
		{"upper-case signature", g, exp + "." + strings.ToUpper(sig), false},
		{"short signature", g, exp + "." + sig[:len(sig)-2], false},
		{"before sessions (a hash of the token)", g, oldSession("t"), false},
	} {
		if got := tc.guard.validSession([]byte(tc.c)); got != tc.want {
			t.Errorf("%s: valid %v, want %v", tc.name, got, tc.want)
		}
	}
	now = now.Add(sessionTTL)
	if g.validSession([]byte(s)) {
		t.Error("a session past its expiry is still valid")
	}
}

// oldSession is the cookie of the releases before sessions: a hash of the
// token, good forever.
func oldSession(token string) string {
	sum := sha256.Sum256([]byte("portico admin session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// TestAdminLoginThrottled: sign-in attempts beyond the burst are refused
// at once.
func TestAdminLoginThrottled(t *testing.T) {
	addr := serveTokenAdmin(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("page") })
	origin := map[string]string{"Origin": "http://" + addr}
	refused := 0
	const attempts = loginBurst + 20
	for range attempts {
		if status, _, _ := adminDo(t, addr, "POST", "/login", origin, "token=guess"); status == fasthttp.StatusTooManyRequests {
			refused++
		}
	}
	// Past the burst one attempt a second gets through: 20 quick ones
	// leave at least 10 refused unless the loop took 10 s.
	if refused < 10 {
		t.Errorf("%d of %d quick guesses refused, want most past the burst of %d", refused, attempts, loginBurst)
	}
	// The guesses do not lock out the bearer token.
	bearer := map[string]string{"Authorization": "Bearer s3cret-token"}
	if status, _, body := adminDo(t, addr, "GET", "/", bearer, ""); status != fasthttp.StatusOK || body != "page" {
		t.Errorf("with the login throttled, the bearer token got %d %q; want 200 page", status, body)
	}
}
