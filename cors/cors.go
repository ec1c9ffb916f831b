package cors

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// Policy is a compiled Config: what the gateway applies per request. It
// is safe for concurrent use.
type Policy struct {
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

// New compiles c; nil for a nil c (no CORS).
func New(c *Config) *Policy {
	if c == nil {
		return nil
	}
	out := &Policy{
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

// Allows reports whether origin may read the responses.
func (c *Policy) Allows(origin []byte) bool {
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

// AnswerPreflight writes API Gateway's answer to a preflight: 204, with the
// CORS headers when the origin is allowed.
func (c *Policy) AnswerPreflight(ctx *fasthttp.RequestCtx, origin []byte) {
	ctx.Response.SetStatusCode(fasthttp.StatusNoContent)
	if !c.Allows(origin) {
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
func (c *Policy) setPreflight(h *fasthttp.ResponseHeader) {
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

// Decorate replaces the CORS headers of a response to a request from
// origin with the configured ones; a preflight that a route answered gets
// the full preflight set.
func (c *Policy) Decorate(ctx *fasthttp.RequestCtx, origin []byte, preflight bool) {
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
	if !c.Allows(origin) {
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

func (c *Policy) setOrigin(h *fasthttp.ResponseHeader, origin []byte) {
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
