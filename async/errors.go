package async

import "errors"

// ErrQueueFull is returned by Enqueue when the in-memory queue holds as many
// events as it may: the Invoke API answers 429 TooManyRequestsException, so
// the caller retries as it would for a throttled Lambda.
var ErrQueueFull = errors.New("async: queue full")

// ErrUnknownFunction is returned by Enqueue for a function the queue was not
// given.
var ErrUnknownFunction = errors.New("async: unknown function")
