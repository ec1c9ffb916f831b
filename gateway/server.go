package gateway

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// newServer returns the public fasthttp server with the config's limits.
func (g *Gateway) newServer() *fasthttp.Server {
	l := &g.cfg.Limits
	return &fasthttp.Server{
		Handler:      g.handle,
		ErrorHandler: g.handleServerError,
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
		Logger:                        g.serverLogger(),
	}
}

// handleServerError answers requests fasthttp could not read: a body over
// maxBodyBytes or a header block over maxHeaderBytes gets API Gateway's 413;
// anything else API Gateway would not have let through gets a 400.
func (g *Gateway) handleServerError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge), errors.As(err, &small):
		g.errors.tooLarge.write(ctx)
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			ctx.Response.SetStatusCode(fasthttp.StatusRequestTimeout)
			return
		}
		ctx.Response.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.Response.Header.SetContentType("application/json")
		ctx.Response.SetBodyString(`{"message":"Bad Request"}`)
	}
	x := acquireExchange()
	x.newRequestID()
	if g.rest {
		x.newUUID()
	}
	g.setRequestIDHeaders(ctx, x)
	releaseExchange(x)
}

// Serve serves the public listener until ctx is done, then drains: it stops
// accepting, lets in-flight requests finish for up to limits.drainTimeout,
// and returns. The admin listener, if given, serves alongside.
func (g *Gateway) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		g.forwardedPort = strconv.AppendInt(nil, int64(tcp.Port), 10)
	}
	srv := g.newServer()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var admin *fasthttp.Server
	if adminLn != nil {
		admin = g.newAdminServer()
		go func() { errc <- admin.Serve(adminLn) }()
	}
	g.ready.Store(true)
	g.log.Info("serving", zap.String("listen", ln.Addr().String()), zap.Int("routes", len(g.routes)))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	g.ready.Store(false)
	g.draining.Store(true)
	drain, cancel := context.WithTimeout(context.Background(), g.cfg.Limits.DrainTimeout)
	defer cancel()
	start := time.Now()
	if err := srv.ShutdownWithContext(drain); err != nil {
		g.log.Warn("drain cut short", zap.Error(err))
	}
	g.log.Info("drained", zap.Duration("took", time.Since(start)))
	if admin != nil {
		_ = admin.ShutdownWithContext(drain)
	}
	return serveErr
}

// ListenAndServe listens on the config's addresses and serves until ctx is
// done.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return err
	}
	var adminLn net.Listener
	if g.cfg.Admin != "" {
		if adminLn, err = net.Listen("tcp", g.cfg.Admin); err != nil {
			ln.Close()
			return err
		}
	}
	return g.Serve(ctx, ln, adminLn)
}

// serverLogger routes fasthttp's own messages into the gateway's log.
func (g *Gateway) serverLogger() fasthttp.Logger { return zap.NewStdLog(g.log.Named("server")) }
