package gateway

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// Server serves the public and admin listeners for a Gateway, and can
// swap in a Gateway built from a new config without dropping a connection
// (Reload). The listeners and the server limits of the first config stay:
// changing listen, admin or limits needs a restart.
type Server struct {
	current atomic.Pointer[Gateway]
	log     *zap.Logger
	limits  Limits
	// swapMu orders Serve's setting of the listener's port with Reload's
	// swap, so a reload during start-up cannot hand on a port not yet set.
	swapMu        sync.Mutex
	forwardedPort []byte
	ready         atomic.Bool
	draining      atomic.Bool
	admin         adminTimeouts
	adminToken    string                  // the first config's admin.token
	adminHandler  fasthttp.RequestHandler // nil: no admin page
}

// NewServer returns a Server for g.
func NewServer(g *Gateway, opts ...ServerOption) *Server {
	s := &Server{log: g.log, limits: g.cfg.Limits, admin: defaultAdminTimeouts, adminToken: g.cfg.Admin.Token}
	for _, o := range opts {
		o(s)
	}
	s.current.Store(g)
	return s
}

// Gateway returns the gateway serving now.
func (s *Server) Gateway() *Gateway { return s.current.Load() }

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	g := s.current.Load()
	for {
		// Count the request before using g, then check g is still current:
		// a Reload that swapped in between may already see no requests on
		// g and close it.
		g.flights.enter()
		if now := s.current.Load(); now != g {
			g.flights.leave()
			g = now
			continue
		}
		break
	}
	g.handle(ctx)
	g.flights.leave()
}

// Reload serves next from now on. The old gateway finishes the requests it
// has in flight (for up to limits.drainTimeout), then is closed (its
// authorizers and rate-limit store; the functions are their owner's), and
// the requests still running are cut, each logged. Settings that belong to the listeners (listen, admin, limits) keep
// their first values; Reload logs when they differ.
func (s *Server) Reload(next *Gateway) {
	s.swapMu.Lock()
	next.forwardedPort = s.forwardedPort
	next.maxBodyBytes = s.limits.MaxBodyBytes
	next.takeStateFrom(s.current.Load())
	old := s.current.Swap(next)
	s.swapMu.Unlock()
	if next.cfg.Listen != old.cfg.Listen || next.cfg.Admin != old.cfg.Admin || next.cfg.Limits != s.limits {
		s.log.Warn("listen, admin and limits changes take effect on restart only")
	}
	if !old.flights.wait(time.Now().Add(s.limits.DrainTimeout)) {
		old.logCut(time.Now(), "reload")
	}
	if err := old.Close(); err != nil {
		s.log.Warn("closing the previous config", zap.Error(err))
	}
	s.log.Info("reloaded", zap.Int("routes", len(next.routes)))
}

// newServer returns the public fasthttp server with the config's limits.
func (s *Server) newServer() *fasthttp.Server {
	l := &s.limits
	return &fasthttp.Server{
		Handler:       s.handle,
		ErrorHandler:  s.handleServerError,
		ExpectHandler: s.expect,
		Name:          "",
		// Header names reach REST events in the case the client sent, and
		// function response headers reach the client in the function's case.
		DisableHeaderNamesNormalizing: true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		// Unstreamed, fasthttp reserves a body's declared Content-Length
		// before a byte of it arrives: a few hundred connections declaring
		// 10 MB each would take gigabytes. Streamed, it reads at most 8 KiB
		// ahead and readBody grows the buffer as bytes arrive.
		StreamRequestBody: true,
		// A function gets the body as sent, not fasthttp's re-encoding of a
		// multipart form it parsed (and spooled to disk) on the way.
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           l.MaxBodyBytes,
		ReadBufferSize:               l.MaxHeaderBytes,
		ReadTimeout:                  l.ReadTimeout,
		WriteTimeout:                 l.WriteTimeout,
		IdleTimeout:                  l.IdleTimeout,
		CloseOnShutdown:              true,
		Logger:                       serverLogger(s.log),
	}
}

// handleServerError answers a request fasthttp could not read in full (see
// readRefusal). The connection then closes, lingering: part of the request
// may still be on its way.
func (s *Server) handleServerError(ctx *fasthttp.RequestCtx, err error) {
	lingerOnClose(ctx)
	s.current.Load().refuse(ctx, nil, readRefusal(err))
}

// expect answers "Expect: 100-continue": a body declared over the body limit
// gets its 413 at once, instead of a 100 Continue that invites the client
// to send it.
func (s *Server) expect(ctx *fasthttp.RequestCtx) int {
	if ctx.Request.Header.ContentLength() <= bodyLimit(s.limits.MaxBodyBytes) {
		return fasthttp.StatusContinue
	}
	// fasthttp writes the response as set here, with the returned status.
	lingerOnClose(ctx)
	s.current.Load().refuse(ctx, nil, refuseTooLarge)
	return ctx.Response.StatusCode()
}

// Serve serves the public listener until ctx is done, then drains: it
// closes the listener, so new connections are refused, lets the requests in
// flight finish for up to limits.drainTimeout (each connection closes after
// its answer), logs the requests it cuts, and returns. The admin listener,
// if given, serves alongside. ln is bounded by limits.maxConns and
// limits.maxConnsPerIP.
func (s *Server) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		s.swapMu.Lock()
		s.forwardedPort = strconv.AppendInt(nil, int64(tcp.Port), 10)
		s.current.Load().forwardedPort = s.forwardedPort
		s.swapMu.Unlock()
	}
	srv := s.newServer()
	public := newListener(ln, &s.limits, func() *answers { return s.current.Load().answers })
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(public) }()
	var admin *fasthttp.Server
	if adminLn != nil {
		admin = s.newAdminServer()
		go func() { errc <- admin.Serve(adminLn) }()
	}
	s.ready.Store(true)
	s.log.Info("serving", zap.String("listen", ln.Addr().String()), zap.Int("routes", len(s.current.Load().routes)))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.ready.Store(false)
	s.draining.Store(true)
	drain, cancel := context.WithTimeout(context.Background(), s.limits.DrainTimeout)
	defer cancel()
	start := time.Now()
	if err := srv.ShutdownWithContext(drain); err != nil {
		s.log.Warn("drain cut short", zap.Error(err))
		s.current.Load().logCut(time.Now(), "shutdown")
	}
	s.log.Info("drained", zap.Duration("took", time.Since(start)))
	if admin != nil {
		_ = admin.ShutdownWithContext(drain)
	}
	return serveErr
}

// ListenAndServe listens on the config's addresses and serves until ctx is
// done.
func (s *Server) ListenAndServe(ctx context.Context) error {
	cfg := s.current.Load().cfg
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	var adminLn net.Listener
	if cfg.Admin.Listen != "" {
		if adminLn, err = net.Listen("tcp", cfg.Admin.Listen); err != nil {
			ln.Close()
			return err
		}
	}
	return s.Serve(ctx, ln, adminLn)
}

// Serve serves g alone: NewServer(g).Serve.
func (g *Gateway) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	return NewServer(g).Serve(ctx, ln, adminLn)
}

// ListenAndServe serves g alone on its config's addresses.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	return NewServer(g).ListenAndServe(ctx)
}

// serverLogger routes fasthttp's own messages into the log.
func serverLogger(log *zap.Logger) fasthttp.Logger { return zap.NewStdLog(log.Named("server")) }
