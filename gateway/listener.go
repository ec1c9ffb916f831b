package gateway

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Lingering close, as nginx does it: after answering a request whose body
// was not read, the gateway shuts down its sending side and reads what the
// client still sends before closing. Closing with unread bytes in the
// receive buffer makes the kernel send a reset, which can destroy the answer
// before the client reads it.
const (
	// lingerTime bounds the whole lingering close.
	lingerTime = 5 * time.Second
	// lingerTimeout ends it when the client has sent nothing for this long.
	lingerTimeout = time.Second
)

// listener bounds the open connections of the public listener, in total and
// per client IP. A connection past a bound is answered at once and closed
// without reading its request: one past limits.maxConns with
// refuseOverloaded (the gateway is overloaded, as a 503 says), one past
// limits.maxConnsPerIP with refuseThrottled (that client is over its
// share). The answer is best effort, as lingering there would let a flood
// of connections hold goroutines.
type listener struct {
	net.Listener
	maxConns, maxPerIP int
	answers            func() *answers // the flavour's answers, of the gateway serving now

	open  atomic.Int64
	mu    sync.Mutex
	perIP map[netip.Addr]int // open connections per client IP, when maxPerIP > 0
}

func newListener(ln net.Listener, l *Limits, answers func() *answers) *listener {
	return &listener{Listener: ln, maxConns: l.MaxConns, maxPerIP: l.MaxConnsPerIP, answers: answers,
		perIP: make(map[netip.Addr]int)}
}

// Accept returns the next connection within the bounds, refusing the ones
// past them.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := connIP(c)
		if refused := l.admit(ip); refused != notRefused {
			refuseConn(c, &l.answers()[refused])
			continue
		}
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

// admit counts a new connection from ip, or returns the refusal that
// answers it.
func (l *listener) admit(ip netip.Addr) refusal {
	if n := l.open.Add(1); l.maxConns > 0 && n > int64(l.maxConns) {
		l.open.Add(-1)
		return refuseOverloaded
	}
	if l.maxPerIP > 0 && ip.IsValid() {
		l.mu.Lock()
		n := l.perIP[ip]
		if n >= l.maxPerIP {
			l.mu.Unlock()
			l.open.Add(-1)
			return refuseThrottled
		}
		l.perIP[ip] = n + 1
		l.mu.Unlock()
	}
	return notRefused
}

// release uncounts a connection from ip.
func (l *listener) release(ip netip.Addr) {
	l.open.Add(-1)
	if l.maxPerIP > 0 && ip.IsValid() {
		l.mu.Lock()
		if n := l.perIP[ip] - 1; n > 0 {
			l.perIP[ip] = n
		} else {
			delete(l.perIP, ip)
		}
		l.mu.Unlock()
	}
}

// connIP is the client IP of c; the zero Addr when c is not TCP.
func connIP(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// refuseConn answers c with e, as apiError.write makes it, and closes c.
// With no request there is no RequestCtx to answer through: the response is
// encoded here, without the Date fasthttp would add, and marked as closing.
func refuseConn(c net.Conn, e *apiError) {
	var resp fasthttp.Response
	e.write(&resp)
	b := make([]byte, 0, 160)
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(resp.StatusCode()), 10)
	b = append(b, ' ')
	b = append(b, fasthttp.StatusMessage(resp.StatusCode())...)
	b = append(b, "\r\nContent-Type: "...)
	b = append(b, resp.Header.ContentType()...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(resp.Body())), 10)
	b = append(b, "\r\n"...)
	for k, v := range resp.Header.All() {
		if !bytes.EqualFold(k, []byte("Content-Type")) && !bytes.EqualFold(k, []byte("Content-Length")) {
			b = append(append(append(append(b, k...), ": "...), v...), "\r\n"...)
		}
	}
	b = append(b, "Connection: close\r\n\r\n"...)
	b = append(b, resp.Body()...)
	// The accept loop must not wait on a client: a fresh connection's send
	// buffer takes these bytes at once, and the deadline covers the rest.
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(b)
	_ = c.Close()
}

// conn is a connection of the listener: it gives back its slot when closed,
// and closes lingering when the gateway answered without reading the whole
// request (lingerOnClose).
type conn struct {
	net.Conn
	l      *listener
	ip     netip.Addr
	linger atomic.Bool
	closed atomic.Bool
}

// Close closes the connection once; later calls return nil. fasthttp may
// close a connection twice: Shutdown closes idle ones, then their
// goroutine closes them again.
func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.linger.Load() {
		c.lingerClose()
	}
	err := c.Conn.Close()
	c.l.release(c.ip)
	return err
}

// lingerClose sends FIN after the answer, then reads and discards what the
// client still sends until it closes, goes quiet for lingerTimeout, or
// lingerTime has passed. Only then is the connection closed, with nothing
// left unread to turn the close into a reset.
func (c *conn) lingerClose() {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_, _ = io.Copy(io.Discard, &lingerReader{c: c.Conn, end: time.Now().Add(lingerTime)})
}

// lingerReader reads c with a deadline per read: lingerTimeout from now,
// and never past end.
type lingerReader struct {
	c   net.Conn
	end time.Time
}

func (r *lingerReader) Read(p []byte) (int, error) {
	d := time.Now().Add(lingerTimeout)
	if d.After(r.end) {
		d = r.end
	}
	if err := r.c.SetReadDeadline(d); err != nil {
		return 0, err
	}
	return r.c.Read(p)
}

// lingerOnClose makes the connection of ctx close after this answer, and
// close lingering: the request was answered before it was read in full.
func lingerOnClose(ctx *fasthttp.RequestCtx) {
	ctx.SetConnectionClose()
	if c, ok := ctx.Conn().(*conn); ok {
		c.linger.Store(true)
	}
}
