package admin

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Source is what the page shows of the running platform and what it may
// do to it. The platform implements it; its methods are called from the
// admin listener's goroutines and the sampler's, concurrently, and always
// describe the config serving now.
type Source interface {
	// Routes lists the compiled routes, in config order.
	Routes() []Route
	// Functions describes the functions, sorted by name, within a bound of
	// its own. Invocation counts are the page's to fill in (see Function).
	Functions(ctx context.Context) []Function
	// Schedules lists the schedules with their next fire times.
	Schedules() []Schedule
	// Config describes the loaded config and the last reload.
	Config() ConfigState
	// Reload loads the config file again, as SIGHUP does, and returns the
	// state once the new config serves and the old one has drained, or the
	// new one was refused, or at once when the platform has stopped serving.
	Reload(ctx context.Context) ConfigState
	// RouteMetrics gathers the per-route series of the gateway serving now
	// (portico_requests_total, portico_request_duration_seconds,
	// portico_invocation_errors_total); a reload starts them afresh.
	RouteMetrics() prometheus.Gatherer
	// Target is the address of the public listener, dialable from this
	// process, where "try it" sends its requests, and the longest such a
	// request may take.
	Target() (addr string, timeout time.Duration)
}

// Route is one compiled route, with its live numbers over the last minute
// filled in by the page.
type Route struct {
	Route      string `json:"route"`
	Function   string `json:"function"`
	Backend    string `json:"backend"`
	Payload    string `json:"payload"`
	Authorizer string `json:"authorizer"` // "-" for none
	Throttle   string `json:"throttle"`   // "-" for none
	TimeoutMS  int64  `json:"timeoutMs"`
	Live
}

// Live are a route's (or the whole gateway's) numbers over a window:
// requests per second, the median and 99th percentile of latency in
// milliseconds (estimated from the latency histogram's buckets, as
// Prometheus's histogram_quantile does; null without requests), and the
// share of requests answered 5xx.
type Live struct {
	Rate      float64  `json:"rate"`
	P50MS     *float64 `json:"p50Ms"`
	P99MS     *float64 `json:"p99Ms"`
	ErrorRate float64  `json:"errorRate"`
}

// Function is one function.
type Function struct {
	Name    string `json:"name"`
	Backend string `json:"backend"`
	Runtime string `json:"runtime,omitempty"`
	// Instances is nil for functions that run no instances of their own
	// (builtin, http, lambda).
	Instances  *Instances `json:"instances"`
	ColdStarts uint64     `json:"coldStarts"`
	// Invocations and Errors (by kind: function, timeout, throttled, ...)
	// count the requests of the routes to the function since the config
	// loaded; the page fills them from the route metrics.
	Invocations uint64            `json:"invocations"`
	Errors      map[string]uint64 `json:"errors"`
	LastError   *LastError        `json:"lastError"`
	// AsyncDepth is the events queued for the function and not yet
	// delivered; AsyncOldestMS the age of the oldest.
	AsyncDepth    int   `json:"asyncDepth"`
	AsyncOldestMS int64 `json:"asyncOldestMs,omitempty"`
	// CostUSD is the function's estimated cost so far, for a source that
	// meters it; nil (and no column on the page) otherwise.
	CostUSD *float64 `json:"costUsd,omitempty"`
}

// Instances are a local function's instances now.
type Instances struct {
	Starting int `json:"starting"`
	Idle     int `json:"idle"`
	Busy     int `json:"busy"`
}

// LastError is a function's most recent failure: its type and a bounded
// message, never a payload or a token.
type LastError struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Message string    `json:"message"`
}

// Schedule is one schedule and when it fires next.
type Schedule struct {
	Name       string     `json:"name"`
	Function   string     `json:"function"`
	Expression string     `json:"expression"`
	Timezone   string     `json:"timezone,omitempty"`
	Next       *time.Time `json:"next"` // nil: no fire time ahead
}

// ConfigState is the loaded config and the result of the last reload.
type ConfigState struct {
	File     string    `json:"file"`
	LoadedAt time.Time `json:"loadedAt"`
	// LastReload is nil until the first reload.
	LastReload *Reload `json:"lastReload"`
}

// Reload is the result of one reload: applied, or refused with its
// problems, each FILE:LINE:COL: path: message when the file was at fault.
type Reload struct {
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	Problems []string  `json:"problems,omitempty"`
}
