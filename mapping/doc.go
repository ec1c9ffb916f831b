// Package mapping turns an HTTP request into the JSON event API Gateway would
// send to a Lambda function (payload format 2.0 or 1.0, HTTP API or REST API
// flavour), and a function's result back into the HTTP response API Gateway
// would give.
//
// It owns the wire formats and nothing else: no I/O, no logging, no config
// files. It may import fasthttp and go-json, and nothing from this module but
// internal/ (the leaves with no Portico semantics: its JSON strings and
// scanner are internal/jsonbytes).
//
// Hot-path promise: AppendEvent appends to the caller's buffer and uses
// pooled scratch space, so encoding a typical event allocates at most twice;
// WriteResultV1/V2 decode a result without generic maps or reflection.
// Everything that depends only on the route is worked out once by
// Route.Compile.
package mapping
