package gateway

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/httptoken"
)

// CORSConfig is an HTTP API's built-in CORS configuration (API Gateway's
// CorsConfiguration). With it, the gateway answers preflight requests
// itself and puts the configured headers on every response to a request
// with an allowed Origin, replacing any CORS headers the function returned.
type CORSConfig struct {
	// AllowOrigins lists allowed origins: "https://app.example.com", "*"
	// (any), or "https://*" (any origin of that scheme).
	AllowOrigins []string `yaml:"allowOrigins"`
	// AllowMethods becomes Access-Control-Allow-Methods ("*" allowed).
	AllowMethods []string `yaml:"allowMethods"`
	// AllowHeaders becomes Access-Control-Allow-Headers ("*" allowed).
	AllowHeaders []string `yaml:"allowHeaders"`
	// ExposeHeaders becomes Access-Control-Expose-Headers.
	ExposeHeaders []string `yaml:"exposeHeaders"`
	// MaxAge (seconds, -1 to 86400) becomes Access-Control-Max-Age; 0 sends none.
	MaxAge int `yaml:"maxAge"`
	// AllowCredentials sends Access-Control-Allow-Credentials: true; the
	// allowed origin is then echoed rather than "*".
	AllowCredentials bool `yaml:"allowCredentials"`
}

// validate reports problems under path.
func (c *CORSConfig) validate(add func(path, format string, args ...any)) {
	if len(c.AllowOrigins) == 0 {
		add("cors.allowOrigins", `required: list the allowed origins, or "*"`)
	}
	for i, o := range c.AllowOrigins {
		switch {
		case o == "*" || o == "http://*" || o == "https://*":
			// A wildcard with credentials would hand any site of the
			// scheme the user's cookies: browsers refuse "*" there, and
			// echoing the origin for a scheme wildcard is the same hole.
			if c.AllowCredentials {
				add(fmt.Sprintf("cors.allowOrigins[%d]", i), "%q cannot be combined with allowCredentials: list the origins", o)
			}
		case !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://"):
			add(fmt.Sprintf("cors.allowOrigins[%d]", i), `want an origin such as "https://app.example.com", "https://*" or "*", got %q`, o)
		}
	}
	for i, m := range c.AllowMethods {
		if m != "*" && (len(m) > 64 || !httptoken.Valid(m)) {
			add(fmt.Sprintf("cors.allowMethods[%d]", i), "not a method: %q", m)
		}
	}
	if c.MaxAge < -1 || c.MaxAge > 86400 {
		add("cors.maxAge", "want -1 to 86400 seconds, got %d", c.MaxAge)
	}
}

// cors is a compiled CORSConfig.
type cors struct {
	anyOrigin   bool
	origins     [][]byte // exact
	schemes     [][]byte // "https://" for "https://*"
	echoOrigin  bool
	methods     string
	headers     string
	expose      string
	maxAge      string
	credentials bool
}

func newCORS(c *CORSConfig) *cors {
	if c == nil {
		return nil
	}
	out := &cors{
		methods: strings.Join(c.AllowMethods, ", "), headers: strings.Join(c.AllowHeaders, ", "),
		expose: strings.Join(c.ExposeHeaders, ", "), credentials: c.AllowCredentials,
	}
	if c.MaxAge != 0 {
		out.maxAge = strconv.Itoa(c.MaxAge)
	}
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*":
			out.anyOrigin = true
		case strings.HasSuffix(o, "://*"):
			out.schemes = append(out.schemes, []byte(strings.TrimSuffix(o, "*")))
		default:
			out.origins = append(out.origins, []byte(o))
		}
	}
	out.echoOrigin = c.AllowCredentials || !out.anyOrigin
	return out
}

func (c *cors) allows(origin []byte) bool {
	if c.anyOrigin {
		return true
	}
	for _, o := range c.origins {
		if bytes.Equal(o, origin) {
			return true
		}
	}
	for _, s := range c.schemes {
		if len(origin) > len(s) && bytes.HasPrefix(origin, s) {
			return true
		}
	}
	return false
}

// isPreflight: an OPTIONS request with Origin and Access-Control-Request-Method.
func isPreflight(ctx *fasthttp.RequestCtx, x *exchange) bool {
	return ctx.IsOptions() && len(x.header("Origin")) > 0 && len(x.header("Access-Control-Request-Method")) > 0
}

// interceptsPreflight reports whether a matched route handles preflights
// itself: an explicit OPTIONS route, or $default (API Gateway documents
// that $default catches them). ANY routes do not.
func interceptsPreflight(r *route) bool {
	return r != nil && (strings.HasPrefix(r.key, "OPTIONS ") || r.key == defaultRouteKey)
}

// answerPreflight writes API Gateway's answer to a preflight: 204, with the
// CORS headers when the origin is allowed.
func (c *cors) answerPreflight(ctx *fasthttp.RequestCtx, origin []byte) {
	ctx.Response.SetStatusCode(fasthttp.StatusNoContent)
	if !c.allows(origin) {
		return
	}
	h := &ctx.Response.Header
	if c.echoOrigin {
		h.Add("Vary", "Origin")
	}
	c.setOrigin(h, origin)
	c.setPreflight(h)
}

// setPreflight sets the headers only a preflight answer carries.
func (c *cors) setPreflight(h *fasthttp.ResponseHeader) {
	if c.methods != "" {
		h.Set("Access-Control-Allow-Methods", c.methods)
	}
	if c.headers != "" {
		h.Set("Access-Control-Allow-Headers", c.headers)
	}
	if c.maxAge != "" {
		h.Set("Access-Control-Max-Age", c.maxAge)
	}
}

// decorate replaces the CORS headers of a response to a request from
// origin with the configured ones; a preflight that a route answered gets
// the full preflight set.
func (c *cors) decorate(ctx *fasthttp.RequestCtx, origin []byte, preflight bool) {
	h := &ctx.Response.Header
	var names [][]byte
	for k := range h.All() {
		if len(k) > len(corsPrefix) && bytes.EqualFold(k[:len(corsPrefix)], []byte(corsPrefix)) {
			names = append(names, append([]byte(nil), k...))
		}
	}
	for _, name := range names {
		h.DelBytes(name)
	}
	if c.echoOrigin {
		h.Add("Vary", "Origin") // the answer depends on the origin, allowed or not
	}
	if !c.allows(origin) {
		return
	}
	c.setOrigin(h, origin)
	if c.expose != "" {
		h.Set("Access-Control-Expose-Headers", c.expose)
	}
	if preflight {
		c.setPreflight(h)
	}
}

func (c *cors) setOrigin(h *fasthttp.ResponseHeader, origin []byte) {
	if c.echoOrigin {
		h.SetBytesV("Access-Control-Allow-Origin", origin)
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// corsPrefix starts the names of the CORS response headers, which the
// function may not set when CORS is configured.
const corsPrefix = "access-control-"
