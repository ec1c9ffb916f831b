// Package lambdalimit is the one source of Lambda's payload limits, which
// the gateway (on events) and every backend kind (on results) enforce the
// way Lambda does. It imports nothing of the module.
package lambdalimit

// RequestBytes is Lambda's limit on a synchronous invocation's payload
// (6 MB, 6291456 bytes): a larger event is refused as
// RequestTooLargeException refuses it.
const RequestBytes = 6 << 20

// ResponseBytes is Lambda's limit on a synchronous invocation's response
// payload: 6 MiB + 100 bytes (6291556), as the Runtime Interface Emulator
// enforces it.
const ResponseBytes = 6<<20 + 100

// ResponseTooLargeMessage is the errorMessage of the
// Function.ResponseSizeTooLarge error Lambda gives for a response over
// ResponseBytes.
const ResponseTooLargeMessage = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
