// Package process runs functions as local processes that speak the Lambda
// Runtime API, so an unmodified aws-lambda-go function (or any custom-runtime
// `bootstrap`) runs under Portico as it runs on Lambda.
//
// Runtimes go by Lambda's names (runtime.go): provided.* run the package's
// own bootstrap, go builds it, and nodejs*/python3.* run the handler with
// the local interpreter and Portico's own runtime client for the language
// (runtime/node, runtime/python), embedded and written once to the cache.
//
// Each function has a pool of instances. An instance is one process plus
// its own Runtime API endpoint: a listener on a fresh 127.0.0.1 port whose
// host:port is the instance's AWS_LAMBDA_RUNTIME_API. That is how one
// instance's calls are told apart from another's: the listener serves only
// connections whose other end the instance's runtime or a descendant of it
// holds (checked once per connection, see peer.go), every call on it
// belongs to that instance, and a request id that is not the instance's
// current invocation is refused (400 InvalidRequestID). So neither another
// instance nor any other local process can take or answer its events.
//
// Scheduling follows Lambda: one invocation per instance at a time; an idle
// instance is reused (warm start); otherwise a new one is started (cold
// start) up to the function's concurrency; past that, a request waits up
// to queueTimeout for an instance and is then throttled
// (TooManyRequestsException). Idle instances are stopped after idleTimeout,
// keeping minInstances warm.
//
// Each invocation is metered as Lambda bills it (see metering): its
// duration runs from the event handed to the runtime to its answer, a cold
// start's init duration is billed with the first invocation, and Max
// Memory Used is the instance's peak (peak.go). Lambda's START, END and
// REPORT lines go into Portico's log and the invocation's log tail.
//
// Faults end as Lambda ends them: a runtime that fails init or exits
// mid-invocation gives Runtime.ExitError, a function past its timeout is
// killed and gives "Task timed out", a response over 6 MB gives
// Function.ResponseSizeTooLarge. An instance that failed is discarded, and
// the next request gets a fresh one. Instances run in their own process
// group with a parent-death signal, so a killed Portico takes them along;
// Close sends SIGTERM, waits, then SIGKILL.
package process
