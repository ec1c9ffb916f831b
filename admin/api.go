package admin

import (
	"context"
	"sort"
	"time"
)

// routes is /api/routes: each route with its last minute.
func (a *Admin) routes() []Route {
	routes := a.src.Routes()
	live, _ := a.sampler.routes()
	for i := range routes {
		routes[i].Live = live[routes[i].Route]
	}
	return routes
}

// functionsAnswer is /api/functions.
type functionsAnswer struct {
	Functions []Function `json:"functions"`
	Schedules []Schedule `json:"schedules"`
}

// functions is /api/functions: each function with the invocations and
// errors of its routes, and the schedules.
func (a *Admin) functions(ctx context.Context) functionsAnswer {
	fns := a.src.Functions(ctx)
	index := make(map[string]int, len(fns))
	for i := range fns {
		index[fns[i].Name] = i
		fns[i].Errors = map[string]uint64{}
	}
	for _, r := range a.src.Routes() {
		i, ok := index[r.Function]
		if !ok {
			continue
		}
		n, errs := a.sampler.totals(r.Route)
		fns[i].Invocations += n
		for kind, v := range errs {
			fns[i].Errors[kind] += v
		}
	}
	schedules := a.src.Schedules()
	sort.Slice(schedules, func(i, j int) bool { return schedules[i].Name < schedules[j].Name })
	return functionsAnswer{Functions: fns, Schedules: schedules}
}

// statsAnswer is /api/stats: the gateway's traffic second by second for
// the plots, and each route's and the whole gateway's last minute.
type statsAnswer struct {
	Now     int64           `json:"now"` // Unix milliseconds
	Seconds []Point         `json:"seconds"`
	Minute  Live            `json:"minute"`
	Routes  map[string]Live `json:"routes"`
}

func (a *Admin) stats() statsAnswer {
	routes, all := a.sampler.routes()
	return statsAnswer{Now: time.Now().UnixMilli(), Seconds: a.sampler.series(), Minute: all, Routes: routes}
}
