package gateway

import (
	"context"
	"errors"
	"net"
	"strconv"
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
	current       atomic.Pointer[Gateway]
	log           *zap.Logger
	limits        Limits
	forwardedPort []byte
	ready         atomic.Bool
	draining      atomic.Bool
}

// NewServer returns a Server for g.
func NewServer(g *Gateway) *Server {
	s := &Server{log: g.log, limits: g.cfg.Limits}
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
		g.inflight.Add(1)
		if now := s.current.Load(); now != g {
			g.inflight.Add(-1)
			g = now
			continue
		}
		break
	}
	g.handle(ctx)
	g.inflight.Add(-1)
}

// Reload serves next from now on. The old gateway finishes the requests it
// has in flight (for up to its drainTimeout), then is closed: its local
// function instances stop. Settings that belong to the listeners (listen,
// admin, limits) keep their first values; Reload logs when they differ.
func (s *Server) Reload(next *Gateway) {
	next.forwardedPort = s.forwardedPort
	next.takeStateFrom(s.current.Load())
	old := s.current.Swap(next)
	if next.cfg.Listen != old.cfg.Listen || next.cfg.Admin != old.cfg.Admin || next.cfg.Limits != s.limits {
		s.log.Warn("listen, admin and limits changes take effect on restart only")
	}
	deadline := time.Now().Add(old.cfg.Limits.DrainTimeout)
	for old.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := old.Close(); err != nil {
		s.log.Warn("closing the previous config", zap.Error(err))
	}
	s.log.Info("reloaded", zap.String("config", next.cfg.file), zap.Int("routes", len(next.routes)))
}

// newServer returns the public fasthttp server with the config's limits.
func (s *Server) newServer() *fasthttp.Server {
	l := &s.limits
	return &fasthttp.Server{
		Handler:      s.handle,
		ErrorHandler: s.handleServerError,
		Name:         "",
		// Header names reach REST events in the case the client sent, and
		// function response headers reach the client in the function's case.
		DisableHeaderNamesNormalizing: true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		MaxRequestBodySize:            l.MaxBodyBytes,
		ReadBufferSize:                l.MaxHeaderBytes,
		ReadTimeout:                   l.ReadTimeout,
		WriteTimeout:                  l.WriteTimeout,
		IdleTimeout:                   l.IdleTimeout,
		CloseOnShutdown:               true,
		Logger:                        serverLogger(s.log),
	}
}

// handleServerError answers requests fasthttp could not read: a body over
// maxBodyBytes or a header block over maxHeaderBytes gets API Gateway's 413;
// anything else API Gateway would not have let through gets a 400.
func (s *Server) handleServerError(ctx *fasthttp.RequestCtx, err error) {
	g := s.current.Load()
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge), errors.As(err, &small):
		g.errors.tooLarge.write(ctx)
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			ctx.Response.SetStatusCode(fasthttp.StatusRequestTimeout)
			break // still gets the request ids below
		}
		ctx.Response.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.Response.Header.SetContentType("application/json")
		ctx.Response.SetBodyString(`{"message":"Bad Request"}`)
	}
	x := acquireExchange()
	x.newRequestID()
	x.newUUID()
	g.setRequestIDHeaders(ctx, x)
	releaseExchange(x)
}

// Serve serves the public listener until ctx is done, then drains: it stops
// accepting, lets in-flight requests finish for up to limits.drainTimeout,
// and returns. The admin listener, if given, serves alongside.
func (s *Server) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		s.forwardedPort = strconv.AppendInt(nil, int64(tcp.Port), 10)
		s.current.Load().forwardedPort = s.forwardedPort
	}
	srv := s.newServer()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
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
	if cfg.Admin != "" {
		if adminLn, err = net.Listen("tcp", cfg.Admin); err != nil {
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
