package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/portico/portico/auth"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/mapping"
	"github.com/portico/portico/ratelimit"
)

// exchange is the per-request scratch state of the handler, pooled.
type exchange struct {
	params []mapping.Param
	path   []byte // the decoded request path (appendRequestPath)
	req    mapping.Request
	inv    backend.Invocation
	event  []byte
	result []byte

	requestID [16]byte
	uuid      [36]byte
	trace     [44]byte
	sourceIP  []byte
	xff       []byte
	accept    []byte // the request's Accept header, valid during the request
	ctx       deadlineContext
	key       []byte // rate-limit bucket key
	client    ratelimit.Client
	fctx      *fasthttp.RequestCtx // the request being served
	route     *route
	// setResponseHeader is x.setHeader, bound once.
	setResponseHeader func(name string, value []byte)
	authReq           auth.Request
	scratch           []byte
	logFields         []zap.Field // the access log line's, kept for the next request
	logLine           []byte

	// body holds a streamed request body, read by readBody; it is the
	// request's body until the handler returns.
	body []byte
	// The in-flight set (flights) links the exchanges being served.
	flightPrev, flightNext *exchange
	flightShard            uint8
	flightRoute            atomic.Pointer[route] // x.route, for a drain on another goroutine
}

// setHeader sets a response header of the request being served.
func (x *exchange) setHeader(name string, value []byte) {
	x.fctx.Response.Header.SetBytesV(name, value)
}

// header returns a request header's value, matching the name in any case;
// nil when absent.
func (x *exchange) header(name string) []byte {
	for k, v := range x.fctx.Request.Header.All() {
		if len(k) == len(name) && bytes.EqualFold(k, []byte(name)) {
			return v
		}
	}
	return nil
}

var exchangePool = sync.Pool{New: func() any {
	x := new(exchange)
	// Bound once: a method value allocates.
	x.client.Header = x.header
	x.setResponseHeader = x.setHeader
	x.authReq.Header, x.authReq.Query, x.authReq.Cookie, x.authReq.Event = x.headerJoined, x.query, x.cookie, x.authEvent
	return x
}}

// maxPooledBuffer keeps one huge request from pinning its buffers.
const maxPooledBuffer = 256 << 10

func acquireExchange() *exchange { return exchangePool.Get().(*exchange) }

// releaseExchange returns x to the pool. The invokers are synchronous: when
// Invoke has returned nothing reads x's buffers any more.
func releaseExchange(x *exchange) {
	if cap(x.event) > maxPooledBuffer || cap(x.result) > maxPooledBuffer || cap(x.body) > maxPooledBuffer {
		return
	}
	x.params = x.params[:0]
	x.path = x.path[:0]
	x.req = mapping.Request{}
	x.inv = backend.Invocation{}
	x.sourceIP = x.sourceIP[:0]
	x.xff = x.xff[:0]
	x.accept = nil
	x.client = ratelimit.Client{Header: x.client.Header}
	x.fctx, x.route = nil, nil
	x.flightRoute.Store(nil)
	x.body = x.body[:0]
	x.authReq.PathParameters = nil
	x.scratch = x.scratch[:0]
	exchangePool.Put(x)
}

// newRequestID fills x.requestID with API Gateway's 16-character id: 11
// random bytes in base64, e.g. "JKJaXmPLvHcESHA=".
func (x *exchange) newRequestID() []byte {
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	base64.StdEncoding.Encode(x.requestID[:], raw[:11])
	return x.requestID[:]
}

// newUUID fills x.uuid with a random (version 4) UUID, REST's requestId.
func (x *exchange) newUUID() []byte { return awsid.AppendUUID(x.uuid[:0]) }

// newTraceID fills x.trace with an X-Ray trace header value.
func (x *exchange) newTraceID(now time.Time) []byte { return awsid.AppendTraceID(x.trace[:0], now) }
