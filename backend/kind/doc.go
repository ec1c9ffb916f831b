// Package kind owns the backend kinds a function's `backend:` may name, and
// how each is built: Function decodes a `functions:` entry into the config
// of the kind it names, and builds that kind's invoker.
//
// A kind is one entry of the kinds table (kinds.go): its name, its config
// and its constructor; the config package reports a key of another kind by
// name. It imports the kind packages (builtin, httpbackend, process,
// awslambda), so nothing under backend/ may import it. It is not on any
// request path.
package kind
