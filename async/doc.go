// Package async owns asynchronous invocations (Lambda's `Event` invocation
// type, and the schedules that fire through it): the queue an accepted event
// waits in (in memory, or in Redis so that it outlives the replica that
// accepted it), the workers that invoke it, the retries of a function error
// and the requeueing of throttles and system errors, the event's maximum
// age, the onSuccess/onFailure destinations and their invocation records,
// and the queue's metrics. docs/async.md describes the behaviour.
//
// It depends on backend only: the platform hands it the functions'
// invokers (Queue.SetFunctions) and its store. It is not on a request's
// hot path: Enqueue is one store write.
package async
