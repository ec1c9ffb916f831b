// Package schedule owns Portico's schedules (the `schedules:` part of the
// config): EventBridge's rate() and cron() expressions and their next fire
// times in a time zone (Parse, Expression.Next), the Scheduled Event a
// function receives, and the Scheduler that fires each tick once across
// every replica (a lock per tick in Redis) through the asynchronous
// invocation path (an Enqueuer: async.Queue). docs/schedules.md describes
// the behaviour and the choices where AWS is silent.
//
// It imports async's contract only through the Enqueuer interface, and
// otherwise the standard library, go-redis, zap, prometheus and internal/.
// It must not import gateway or platform. It is not on a request's hot
// path: a tick is one lock and one enqueue.
package schedule

// The zone database is embedded, so that a machine or image without
// /usr/share/zoneinfo still loads the time zones a config names.
import _ "time/tzdata"
