// Package jsonbytes is the one copy of the module's hand-written JSON: it
// appends strings escaped as JSON, and scans JSON text (validating it as
// encoding/json would) without allocating, handing out sub-slices of the
// input. mapping's events and results, auth's authorizer events and the echo
// backend all go through it, so one fuzzed implementation decides what is
// valid and how a string is written.
//
// It knows nothing of Portico and imports nothing of the module. Every
// function is allocation-free unless it must grow the caller's buffer.
package jsonbytes
