// Package metering owns what running a function would cost on AWS Lambda:
// the `billing:` block of the config (Config: billing granularity,
// architecture, prices), the price table of Lambda's published prices, the
// arithmetic of billed duration, GB-seconds and cost, the platform's log
// lines around each invocation (START, END and REPORT, in Lambda's format),
// the per-function running totals (Meter) and their Prometheus metrics
// (Collector), and the right-sizing hint (RightSize).
//
// backend/process measures each invocation of a local function (duration
// from the event handed to the runtime to its answer, init duration, the
// environment's peak memory) and hands the figures to its Meter; platform
// composes Config into the root config and serves the Collector on
// /metrics; bench reads the totals to put a price on a run.
//
// Imports: the standard library, the Prometheus client and internal/
// (fielderr) only, so that every backend may import it.
//
// Hot-path promise: Meter.Record and the Append* line writers do not
// allocate; Record is a few atomic additions and two histogram
// observations, safe for concurrent use.
package metering
