package platform

import (
	"context"
	"errors"
	"os"

	"go.uber.org/zap"

	"github.com/portico/portico/gateway"
)

// Serve serves p on its config's listeners until ctx is done, then drains
// the gateway and closes everything. Each signal on reload reloads the
// config file as one unit (see Reload); a config with problems is refused,
// logged, and the running one stays.
func Serve(ctx context.Context, p *Platform, reload <-chan os.Signal) error {
	srv := gateway.NewServer(p.gateway)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(ctx) }()
	for {
		select {
		case err := <-served:
			return errors.Join(err, p.Close())
		case <-reload:
			next, err := p.Reload(ctx, srv)
			if err != nil {
				p.log.Error("reload refused: keeping the running config", zap.String("config", p.cfg.file), zap.Error(err))
				continue
			}
			p = next
		}
	}
}

// Reload loads p's config file again and builds its Platform beside p:
// functions whose config did not change are taken over warm, the others
// are built and started. Then srv serves the new gateway, p's gateway
// drains (see gateway.Server.Reload), and p's functions that were not taken
// over are closed. On error nothing changes and p keeps serving.
func (p *Platform) Reload(ctx context.Context, srv *gateway.Server) (*Platform, error) {
	cfg, err := Load(p.cfg.file)
	if err != nil {
		return nil, err
	}
	if p.override != nil {
		p.override(cfg)
	}
	next, err := build(cfg, p, []Option{WithLogger(p.log), WithOverride(p.override), func(n *Platform) { n.tolerant = p.tolerant }})
	if err != nil {
		return nil, err
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
	srv.Reload(next.gateway)
	if err := p.closeFunctions(func(fn *function) bool { return !fn.handed }); err != nil {
		p.log.Warn("closing the functions of the previous config", zap.Error(err))
	}
	p.log.Info("reloaded", zap.String("config", cfg.file), zap.Int("functions", len(next.functions)))
	return next, nil
}
