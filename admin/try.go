package admin

import (
	"net"
	"strings"
	"time"

	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/httptoken"
)

// Bounds of "try it": what the page may send, and what it gets back.
// The answer's headers are read whole into one buffer of
// maxTryAnswerHeaders (fasthttp's default, 4 KiB, would refuse answers the
// gateway sends its clients), one per connection.
const (
	maxTryBody          = 1 << 20
	maxTryAnswer        = 1 << 20
	maxTryAnswerHeaders = 64 << 10
	maxTryHeaders       = 50
)

// tryClient sends the page's requests to the gateway's own public
// listener, and only there: its address is fixed when the page is built,
// and a request names a path, never a URL.
type tryClient struct {
	client  *fasthttp.HostClient
	addr    string
	timeout time.Duration
}

func newTryClient(addr string, timeout time.Duration) *tryClient {
	addr = dialable(addr)
	return &tryClient{addr: addr, timeout: timeout, client: &fasthttp.HostClient{
		Addr: addr, MaxResponseBodySize: maxTryAnswer, ReadBufferSize: maxTryAnswerHeaders, MaxConns: 16,
		DisableHeaderNamesNormalizing: true, NoDefaultUserAgentHeader: true,
	}}
}

// tryRequest is the body of POST /api/try.
type tryRequest struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"` // with its query string
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// tryAnswer is the answer of POST /api/try: the gateway's response, or
// why there was none.
type tryAnswer struct {
	Error   string      `json:"error,omitempty"`
	Status  int         `json:"status,omitempty"`
	Headers [][2]string `json:"headers,omitempty"`
	Body    string      `json:"body"`
	TookMS  float64     `json:"tookMs"`
}

// do sends the request body describes through the gateway.
func (c *tryClient) do(body []byte) tryAnswer {
	var tr tryRequest
	if len(body) > maxTryBody*2 {
		return tryAnswer{Error: "request too large"}
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return tryAnswer{Error: "not a try request: " + err.Error()}
	}
	if msg := tr.check(); msg != "" {
		return tryAnswer{Error: msg}
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	tr.fill(req, c.addr)
	start := time.Now()
	err := c.client.DoTimeout(req, resp, c.timeout)
	took := float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		return tryAnswer{Error: "the gateway did not answer: " + err.Error(), TookMS: took}
	}
	a := tryAnswer{Status: resp.StatusCode(), Body: string(resp.Body()), TookMS: took}
	for k, v := range resp.Header.All() {
		a.Headers = append(a.Headers, [2]string{string(k), string(v)})
	}
	return a
}

// fill makes req the request tr describes, to the listener at addr
// (its Host unless tr names another). tr must have passed check.
func (tr *tryRequest) fill(req *fasthttp.Request, addr string) {
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true) // the gateway gets the headers the page sent, no more
	req.Header.SetMethod(tr.Method)
	req.SetRequestURI(tr.Path)
	req.Header.SetHost(addr)
	for _, h := range tr.Headers {
		if strings.EqualFold(h[0], "Host") {
			req.Header.SetHost(h[1])
			continue
		}
		req.Header.Add(h[0], h[1])
	}
	if tr.Body != "" {
		req.SetBodyString(tr.Body)
	}
}

// check returns what is wrong with tr, or "".
func (tr *tryRequest) check() string {
	switch {
	case !httptoken.Valid(tr.Method):
		return "method: want an HTTP method such as GET"
	case !strings.HasPrefix(tr.Path, "/") || strings.HasPrefix(tr.Path, "//") || !printable(tr.Path) || strings.Contains(tr.Path, " "):
		return "path: want a path starting with /, such as /pets/1?x=1"
	case len(tr.Headers) > maxTryHeaders:
		return "headers: at most 50"
	case len(tr.Body) > maxTryBody:
		return "body: at most 1 MiB"
	}
	for _, h := range tr.Headers {
		if !httptoken.Valid(h[0]) || !printable(h[1]) {
			return "headers: " + h[0] + ": want a header name and a value on one line"
		}
		if framing[strings.ToLower(h[0])] {
			return "headers: " + h[0] + ": the body sets the framing; leave it out"
		}
	}
	return ""
}

// framing are the headers that say where a request's body ends. The client
// writes them from the body: one the page set would disagree with it (a
// GET declaring a body holds the gateway waiting for bytes that never
// come, until its read timeout).
var framing = map[string]bool{"content-length": true, "transfer-encoding": true, "trailer": true}

// printable reports whether s has no control characters, which could
// split a request line or header.
func printable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}

// dialable is the address to reach a listener at: an unspecified host
// (0.0.0.0, ::, none) becomes loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
