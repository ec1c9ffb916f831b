package invokeapi

import (
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/loopback"
)

// refuseBrowser answers an unsigned request that a web browser may have
// sent on a web page's behalf, or returns nil. Unsigned, the API trusts
// whoever reaches its port, and a page reaches a loopback port through its
// visitor's browser:
//
//   - a cross-site "simple" POST (text/plain, no preflight) runs the
//     function, and only the answer is hidden from the page. Browsers send
//     Origin with every POST; the SDKs and the CLI never do.
//   - a page on a name rebound to 127.0.0.1 is same-origin with the API
//     and reads its answers (GetFunction lists environment variables); its
//     requests name the page's host. On a loopback listener every client
//     names a loopback host, so any other Host is refused, unless
//     allowUnsigned says the API is meant for other hosts.
func (s *Server) refuseBrowser(req *fasthttp.Request) *Error {
	if len(req.Header.Peek("Origin")) > 0 {
		return browserRefused("with an Origin header")
	}
	if !s.cfg.AllowUnsigned && !loopback.Addr(string(req.Header.Host())) {
		return browserRefused("for a host name that is not loopback")
	}
	return nil
}
