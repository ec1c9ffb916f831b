// Package eventsource owns the config's `eventSources:`: pollers that read
// an SQS queue (through the AWS SDK) or a Redis stream (through a consumer
// group) and invoke a function synchronously with batches of messages in
// the SQS event shape, as Lambda's event source mappings do. It owns the
// batching (size, window, payload limit), the settling of a batch (delete
// or acknowledge what the function handled, partial batch responses,
// leaving the rest for redelivery), Redis's visibility timeout, reclaim
// and dead-lettering, the scaling of pollers with the backlog, and the
// sources' metrics. docs/event-sources.md describes the behaviour.
//
// It depends on backend only: the platform hands it the functions'
// invokers and the Redis client (Manager). It is not on a request's hot
// path.
package eventsource
