package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/portico/portico/admin"
	"github.com/portico/portico/gateway"
	"github.com/portico/portico/internal/loopback"
)

// Serve serves p on its config's listeners until ctx is done, then drains
// the gateway and closes everything. Each signal on reload reloads the
// config file as one unit (see Reload); a config with problems is refused,
// logged, and the running one stays.
//
// With an admin listener, the admin page is served there (package admin),
// its sampler runs alongside, and its reload button reloads as a signal
// on reload does.
func Serve(ctx context.Context, p *Platform, reload <-chan os.Signal) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var page *adminSource
	var pageReloads chan chan admin.ConfigState // nil without the page: never ready
	var opts []gateway.ServerOption
	var a *admin.Admin
	if p.cfg.Admin.Listen != "" {
		if p.cfg.Admin.Token == "" && !loopback.Addr(p.cfg.Admin.Listen) {
			p.log.Warn("the admin listener is off loopback without admin.token: whoever reaches it can reload the config and send requests through the gateway",
				zap.String("admin", p.cfg.Admin.Listen))
		}
		page = newAdminSource(p, time.Now())
		defer close(page.stopped)
		pageReloads = page.reloads
		a = admin.New(page)
		opts = append(opts, gateway.WithAdminHandler(a.Handler))
	}
	srv := gateway.NewServer(p.gateway, opts...)
	if page != nil {
		page.serving = srv
		sampled := make(chan struct{})
		go func() { defer close(sampled); a.Run(ctx) }()
		defer func() { stop(); <-sampled }()
	}
	var serving func(*Platform) // nil without the page
	if page != nil {
		serving = page.current.Store
	}
	reloadNow := func() admin.ConfigState {
		next, err := p.reload(ctx, srv, serving)
		if err != nil {
			p.log.Error("reload refused: keeping the running config", zap.String("config", p.cfg.file), zap.Error(err))
		} else {
			p = next
		}
		if page == nil {
			return admin.ConfigState{}
		}
		return page.reloaded(next, err, time.Now())
	}
	var invokeServed chan error // nil without the Invoke API: never ready
	if inv := p.services.invoke; inv != nil {
		ln, err := net.Listen("tcp", p.cfg.InvokeAPI.Listen)
		if err != nil {
			return errors.Join(fmt.Errorf("invokeApi: %w", err), p.Close())
		}
		invokeServed = make(chan error, 1)
		go func() { invokeServed <- inv.Serve(ctx, ln) }()
	}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(ctx) }()
	for {
		select {
		case err := <-served:
			stop() // the Invoke API drains with the gateway
			if invokeServed != nil {
				err = errors.Join(err, <-invokeServed)
			}
			return errors.Join(err, p.Close())
		case err := <-invokeServed:
			// The Invoke API stopped on its own (its listener failed):
			// stop the gateway too rather than serve half the platform.
			stop()
			return errors.Join(err, <-served, p.Close())
		case <-reload:
			reloadNow()
		case reply := <-pageReloads:
			reply <- reloadNow()
		}
	}
}

// Reload loads p's config file again and builds its Platform beside p:
// functions whose config did not change are taken over warm, the others
// are built and started. Then srv serves the new gateway, p's gateway
// drains (see gateway.Server.Reload), and p's functions that were not taken
// over are closed once the Invoke API and async invocations running on them
// end (within the same limits.drainTimeout). On error nothing changes and p
// keeps serving.
func (p *Platform) Reload(ctx context.Context, srv *gateway.Server) (*Platform, error) {
	return p.reload(ctx, srv, nil)
}

// reload is Reload, telling serving (unless nil) of the new Platform as it
// takes over, before p's gateway and functions drain.
func (p *Platform) reload(ctx context.Context, srv *gateway.Server, serving func(*Platform)) (*Platform, error) {
	load := p.load
	if load == nil {
		load = func() (*Config, error) { return Load(p.cfg.file) }
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	if p.override != nil {
		p.override(cfg)
	}
	next, err := build(cfg, p, []Option{WithLogger(p.log), WithOverride(p.override), WithLoader(p.load), func(n *Platform) { n.tolerant = p.tolerant }})
	if err != nil {
		return nil, err
	}
	if keys := p.services.changedOnRestartOnly(cfg); len(keys) > 0 {
		p.log.Warn("reload: these keys change on restart only; the running values stay", zap.Strings("keys", keys))
	}
	if err := next.Start(ctx); err != nil {
		_ = next.discard()
		return nil, err
	}
	for name, fn := range next.functions {
		if fn.inherited {
			p.functions[name].handed = true
		}
	}
	deadline := time.Now().Add(p.cfg.Limits.DrainTimeout)
	if serving != nil {
		serving(next)
	}
	srv.Reload(next.gateway)
	// The Invoke API and the queue now call next's functions; those of
	// p's that they still run finish first, within the same drain time
	// as the gateway's requests.
	for _, name := range slices.Sorted(maps.Keys(p.functions)) {
		if fn := p.functions[name]; !fn.handed && !fn.flights.wait(deadline) {
			p.log.Warn("reload: invocations of a replaced function still running are cut", zap.String("function", name))
		}
	}
	if err := p.closeFunctions(func(fn *function) bool { return !fn.handed }); err != nil {
		p.log.Warn("closing the functions of the previous config", zap.Error(err))
	}
	p.log.Info("reloaded", zap.String("config", cfg.file), zap.Int("functions", len(next.functions)))
	return next, nil
}
