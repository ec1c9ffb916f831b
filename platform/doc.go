// Package platform owns the root of a Portico config file and the running
// whole built from it: every function's invoker, built once and handed to
// each way in (today the HTTP gateway; the Invoke API, async workers,
// schedules and pollers plug in the same way), started, reloaded and
// drained together; and what the admin page (package admin) shows of it,
// with its reload button wired to the same reload as SIGHUP.
//
// Building (New) does no I/O; Start does (building or unpacking function
// code, warming instances, the first JWKS fetches). A reload builds the next
// whole beside the running one: functions whose config did not change keep
// their warm instances, rate-limit state carries over, and the previous
// gateway drains before the functions no longer used are closed.
//
// platform may import every package of the module but cmd and bench.
package platform
