package admin

import (
	"context"
	"embed"
	"io/fs"
	"mime"
	"path"

	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"
)

//go:embed assets
var assets embed.FS

// Admin is the admin page and its API for one Source. Build it with New,
// serve Handler, and Run its sampler while the admin listener serves. Safe
// for concurrent use.
type Admin struct {
	src     Source
	sampler sampler
	files   fs.FS
	try     *tryClient
}

// New returns the page for src. It does no I/O.
func New(src Source) *Admin {
	files, _ := fs.Sub(assets, "assets")
	addr, timeout := src.Target()
	return &Admin{src: src, files: files, try: newTryClient(addr, timeout)}
}

// Run samples the gateway's traffic once a second until ctx is done.
func (a *Admin) Run(ctx context.Context) {
	a.sampler.run(ctx, a.src.RouteMetrics)
}

// contentSecurityPolicy lets the page load its own files and call its own
// API, and nothing else: no inline script, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the page (/, its files) and the API (/api/...). It checks
// methods, and leaves tokens and origins to the listener's guard. The
// Source's calls get a context of their own, not the RequestCtx, which
// fasthttp reuses once the handler returns.
func (a *Admin) Handler(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("Content-Security-Policy", contentSecurityPolicy)
	p := string(ctx.Path())
	switch p {
	case "/api/routes":
		a.get(ctx, func() any { return a.routes() })
	case "/api/functions":
		a.get(ctx, func() any { return a.functions(context.Background()) })
	case "/api/stats":
		a.get(ctx, func() any { return a.stats() })
	case "/api/config":
		a.get(ctx, func() any { return a.src.Config() })
	case "/api/reload":
		a.post(ctx, func() any { return a.src.Reload(context.Background()) })
	case "/api/try":
		a.post(ctx, func() any { return a.try.do(ctx.PostBody()) })
	case "/":
		a.file(ctx, "index.html")
	default:
		a.file(ctx, path.Base(p))
	}
}

func (a *Admin) get(ctx *fasthttp.RequestCtx, v func() any) {
	if !ctx.IsGet() && !ctx.IsHead() {
		methodNotAllowed(ctx, "GET")
		return
	}
	writeJSON(ctx, v())
}

// post runs state-changing calls, which take POST only.
func (a *Admin) post(ctx *fasthttp.RequestCtx, v func() any) {
	if !ctx.IsPost() {
		methodNotAllowed(ctx, "POST")
		return
	}
	writeJSON(ctx, v())
}

func methodNotAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set("Allow", allow)
	ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
	writeJSON(ctx, map[string]string{"message": "method not allowed: use " + allow})
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		body = []byte(`{"message":"encoding failed"}`)
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// file serves one of the embedded files, by name: the folder is flat.
func (a *Admin) file(ctx *fasthttp.RequestCtx, name string) {
	if !ctx.IsGet() && !ctx.IsHead() {
		methodNotAllowed(ctx, "GET")
		return
	}
	data, err := fs.ReadFile(a.files, name)
	if err != nil || name == "." {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		writeJSON(ctx, map[string]string{"message": "not found"})
		return
	}
	ctx.SetContentType(mime.TypeByExtension(path.Ext(name)))
	ctx.SetBody(data)
}
