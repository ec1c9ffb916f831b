// Package backend owns the contract between the gateway and a function: the
// Invoker interface, the Invocation it takes, the two error kinds it may
// return, and the lifecycle around it (built by a constructor that does no
// I/O, then Starter, then Closer). Each way of running a function lives in a subpackage (builtin,
// httpbackend, process, awslambda) that owns its Config and imports nothing
// else of the module but this package and internal/; backend/kind names
// them for the config, and nothing under backend/ imports it.
//
// Hot-path promise: Invoke appends the result to the caller's buffer, so a
// warm invocation allocates nothing on Portico's side beyond what the
// transport itself needs.
package backend
