package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

// adminCookie is the cookie the login form sets.
const adminCookie = "portico_admin"

// sessionTTL is how long a login lasts.
const sessionTTL = 12 * time.Hour

// Login attempts, right or wrong, are limited to one a second after a
// burst of loginBurst, for all clients together: a guess costs a second.
const (
	loginEvery = time.Second
	loginBurst = 10
)

// adminGuard is the one check in front of everything on the admin listener
// but the probes:
//
//   - with admin.token set, a request needs `Authorization: Bearer TOKEN`
//     or the cookie the login form sets; tokens are compared in constant
//     time. The cookie is a session, not the token or anything derived
//     from it alone: its expiry signed with a key this process drew at
//     random, so a cookie that leaks (cookies go to every port of a host,
//     the public listener's functions included) is worth nothing after
//     sessionTTL or a restart, and tells nothing of the token;
//   - without a token, the Host header must name an IP address or
//     localhost, so that a web page cannot reach the listener through a
//     DNS name it rebinds to 127.0.0.1;
//   - a request that is not GET or HEAD (reload, "try it", login) must come
//     from the page itself: Sec-Fetch-Site same-origin, or an Origin equal
//     to the Host. A request with a bearer token is exempt: a browser
//     cannot be made to send one to another site's origin. So a cross-site
//     form post is refused, and scripts send the token (or, without one,
//     an Origin header).
//
// Every answer forbids framing and sniffing.
type adminGuard struct {
	token  string
	key    []byte // signs sessions; drawn at random when the guard is made
	logins *rate.Limiter
	now    func() time.Time
}

func newAdminGuard(token string) *adminGuard {
	key := make([]byte, 32)
	rand.Read(key) //nolint:errcheck // crypto/rand.Read does not fail (it panics where it cannot)
	return &adminGuard{token: token, key: key, logins: rate.NewLimiter(rate.Every(loginEvery), loginBurst), now: time.Now}
}

// session is a login cookie's value: its expiry (Unix seconds) and the
// signature of it.
func (g *adminGuard) session(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + g.sign(exp)
}

func (g *adminGuard) sign(exp string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("portico admin session\x00" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// validSession reports whether c is a session this guard signed that has
// not expired.
func (g *adminGuard) validSession(c []byte) bool {
	exp, sig, ok := bytes.Cut(c, []byte("."))
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(string(exp), 10, 64)
	if err != nil || g.now().Unix() >= unix {
		return false
	}
	return hmac.Equal(sig, []byte(g.sign(string(exp))))
}

// equal compares secrets in constant time, their lengths included.
func equal(a, b []byte) bool {
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

func (g *adminGuard) wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		setAdminHeaders(ctx)
		if !g.check(ctx) {
			return
		}
		next(ctx)
	}
}

// check answers the request and returns false when it may not pass.
func (g *adminGuard) check(ctx *fasthttp.RequestCtx) bool {
	if g.token == "" && !localHost(ctx.Host()) {
		adminRefuse(ctx, fasthttp.StatusForbidden, "admin: without admin.token, only http://127.0.0.1 or http://localhost reach this listener")
		return false
	}
	bearer := g.bearer(ctx)
	if !ctx.IsGet() && !ctx.IsHead() && !bearer && !sameOrigin(ctx) {
		adminRefuse(ctx, fasthttp.StatusForbidden, "admin: cross-origin request refused")
		return false
	}
	if g.token == "" || bearer || g.cookie(ctx) {
		return true
	}
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="portico admin"`)
	if ctx.IsGet() && bytes.Contains(ctx.Request.Header.Peek("Accept"), []byte("text/html")) {
		ctx.SetStatusCode(fasthttp.StatusUnauthorized)
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(loginPage(""))
		return false
	}
	adminRefuse(ctx, fasthttp.StatusUnauthorized, "admin: token required (Authorization: Bearer TOKEN)")
	return false
}

// bearer reports whether the request carries the token as a bearer token.
func (g *adminGuard) bearer(ctx *fasthttp.RequestCtx) bool {
	h := ctx.Request.Header.Peek("Authorization")
	const scheme = "bearer "
	if g.token == "" || len(h) < len(scheme) || !strings.EqualFold(string(h[:len(scheme)]), scheme) {
		return false
	}
	return equal(bytes.TrimSpace(h[len(scheme):]), []byte(g.token))
}

func (g *adminGuard) cookie(ctx *fasthttp.RequestCtx) bool {
	c := ctx.Request.Header.Cookie(adminCookie)
	return len(c) > 0 && g.validSession(c)
}

// login takes the login form's token and, when it is right, sets the
// session cookie and sends the browser to the page.
func (g *adminGuard) login(ctx *fasthttp.RequestCtx) {
	setAdminHeaders(ctx)
	if g.token == "" {
		ctx.Redirect("/", fasthttp.StatusSeeOther)
		return
	}
	if !sameOrigin(ctx) {
		adminRefuse(ctx, fasthttp.StatusForbidden, "admin: cross-origin request refused")
		return
	}
	if !g.logins.Allow() {
		ctx.Response.Header.Set("Retry-After", "1")
		ctx.SetStatusCode(fasthttp.StatusTooManyRequests)
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(loginPage("Too many sign-in attempts: try again in a second."))
		return
	}
	if !equal(ctx.PostArgs().Peek("token"), []byte(g.token)) {
		ctx.SetStatusCode(fasthttp.StatusUnauthorized)
		ctx.SetContentType("text/html; charset=utf-8")
		ctx.SetBodyString(loginPage("Wrong token."))
		return
	}
	var c fasthttp.Cookie
	c.SetKey(adminCookie)
	expires := g.now().Add(sessionTTL)
	c.SetValue(g.session(expires))
	c.SetMaxAge(int(sessionTTL / time.Second))
	c.SetPath("/")
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	ctx.Response.Header.SetCookie(&c)
	ctx.Redirect("/", fasthttp.StatusSeeOther)
}

// sameOrigin reports whether a browser says the request comes from a page
// of this listener.
//
// Sec-Fetch-Site, where a browser sends it, is the answer: a browser may
// send "Origin: null" for its own form's POST (under some referrer
// policies), but never lets a page set Sec-Fetch-Site.
func sameOrigin(ctx *fasthttp.RequestCtx) bool {
	if site := ctx.Request.Header.Peek("Sec-Fetch-Site"); len(site) > 0 {
		return string(site) == "same-origin"
	}
	origin := ctx.Request.Header.Peek("Origin")
	_, hostport, ok := bytes.Cut(origin, []byte("://"))
	return ok && len(hostport) > 0 && bytes.Equal(hostport, ctx.Host())
}

// localHost reports whether a Host header names an IP address or localhost.
func localHost(host []byte) bool {
	h := string(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.EqualFold(h, "localhost") || net.ParseIP(h) != nil
}

func setAdminHeaders(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func adminRefuse(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"message":"` + msg + `"}`)
}

// loginPage is the form that trades the token for the session cookie; it
// runs no script, so the page's policy applies to it as it is.
func loginPage(problem string) string {
	if problem != "" {
		problem = `<p role="alert">` + problem + `</p>`
	}
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portico admin: sign in</title>` +
		`<meta name="viewport" content="width=device-width"></head><body><h1>Portico admin</h1>` + problem +
		`<form method="post" action="/login"><label>Admin token <input type="password" name="token" autocomplete="current-password" autofocus></label> ` +
		`<button type="submit">Sign in</button></form></body></html>`
}
