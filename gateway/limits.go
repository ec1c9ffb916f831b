package gateway

import (
	"maps"
	"slices"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/portico/portico/ratelimit"
)

// routeLimit is a route's throttle, resolved at load: the route's own or
// the config's default.
type routeLimit struct {
	kind   string // Throttle.Key
	limit  ratelimit.Limit
	prefix []byte // "r\x00<route key>\x00": this route's buckets
}

// planLimit is a usage plan, resolved at load.
type planLimit struct {
	throttle *ratelimit.Limit
	quota    *ratelimit.Quota
	prefix   []byte // "p\x00<plan>\x00"
}

func newRouteLimit(routeKey string, t *ratelimit.Throttle) *routeLimit {
	if t == nil {
		return nil
	}
	return &routeLimit{kind: t.Key, limit: t.Limit(), prefix: []byte("r\x00" + routeKey + "\x00")}
}

// newPlanLimits resolves the usage plans: names in a fixed order, for
// auth.Options.UsagePlans, and each plan's limits at the position
// auth.Result.Plan gives (position 0, no plan, is nil).
func newPlanLimits(plans map[string]*ratelimit.UsagePlan) (names []string, limits []*planLimit) {
	names = slices.Sorted(maps.Keys(plans))
	limits = make([]*planLimit, 1, len(names)+1)
	for _, name := range names {
		p := plans[name]
		pl := &planLimit{quota: p.Quota, prefix: []byte("p\x00" + name + "\x00")}
		if p.Throttle != nil {
			l := p.Throttle.Limit()
			pl.throttle = &l
		}
		limits = append(limits, pl)
	}
	return names, limits
}

// checkLimits applies the usage plan of the request's API key (throttle,
// then quota) and the route's throttle. It returns the refusal of a refused
// request, with its Retry-After and RateLimit headers set, or notRefused.
func (g *Gateway) checkLimits(ctx *fasthttp.RequestCtx, r *route, x *exchange, client *ratelimit.Client, pl *planLimit) refusal {
	now := ctx.Time()
	set := x.setResponseHeader
	if pl != nil {
		x.key = append(append(x.key[:0], pl.prefix...), client.APIKey...)
		if pl.throttle != nil {
			d, err := g.store.Take(ctx, x.key, *pl.throttle, now)
			if failed := g.storeError(err); !d.Allowed {
				refusalHeaders(ctx, failed, func() { ratelimit.AppendHeaders(d, *pl.throttle, set) })
				return refuseThrottled
			}
		}
		if pl.quota != nil {
			d, err := g.store.Count(ctx, x.key, *pl.quota, now)
			if failed := g.storeError(err); !d.Allowed {
				refusalHeaders(ctx, failed, func() { ratelimit.AppendQuotaHeaders(d, *pl.quota, set) })
				return refuseQuotaExceeded
			}
		}
	}
	if rl := r.limit; rl != nil {
		x.key, _ = ratelimit.AppendKey(append(x.key[:0], rl.prefix...), rl.kind, client)
		d, err := g.store.Take(ctx, x.key, rl.limit, now)
		failed := g.storeError(err)
		if !d.Allowed {
			refusalHeaders(ctx, failed, func() { ratelimit.AppendHeaders(d, rl.limit, set) })
			return refuseThrottled
		}
		if !failed {
			ratelimit.AppendHeaders(d, rl.limit, set)
		}
	}
	return notRefused
}

// refusalHeaders sets the headers of a refused request: the decision's
// RateLimit fields (written by fields), or, when the store failed and
// onStoreError refused, only Retry-After — that decision has no bucket
// state to report.
func refusalHeaders(ctx *fasthttp.RequestCtx, storeFailed bool, fields func()) {
	if storeFailed {
		ctx.Response.Header.Set(ratelimit.HeaderRetryAfter, "1")
		return
	}
	fields()
}

// storeError logs a rate-limit store failure now and then, and reports
// whether there was one.
func (g *Gateway) storeError(err error) bool {
	if err == nil {
		return false
	}
	g.storeWarnings.Do(func() { g.log.Warn("rate-limit store failing: applying onStoreError", zap.Error(err)) })
	return true
}
