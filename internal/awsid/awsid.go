// Package awsid makes the identifiers AWS attaches to a request: Lambda
// request ids (random UUIDs) and X-Ray trace ids. It is the one copy of
// each, so a request carries one trace id from the gateway to its function.
// The Append functions do not allocate when dst has room.
package awsid

import (
	"hash/fnv"
	"math/rand/v2"
	"time"
)

const hexDigits = "0123456789abcdef"

// UUIDLen is the length of a UUID in its text form.
const UUIDLen = 36

// AppendUUID appends a random (version 4) UUID in its 36-byte text form, the
// form of Lambda's request ids. The randomness comes from math/rand/v2's
// ChaCha8-seeded generator: ids must be unique, not secret.
func AppendUUID(dst []byte) []byte {
	var raw [16]byte
	putUint64(raw[:8], rand.Uint64())
	putUint64(raw[8:], rand.Uint64())
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for i, b := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
	}
	return dst
}

// NewUUID returns AppendUUID's UUID as a string.
func NewUUID() string { return string(AppendUUID(make([]byte, 0, UUIDLen))) }

// TraceIDLen is the length of AppendTraceID's value.
const TraceIDLen = len("Root=1-") + 8 + 1 + 24

// AppendTraceID appends a new X-Ray trace header value for a request that
// arrived at now, "Root=1-{8 hex digits of Unix seconds}-{24 random hex
// digits}", as API Gateway adds it in X-Amzn-Trace-Id.
func AppendTraceID(dst []byte, now time.Time) []byte {
	dst = append(dst, "Root=1-"...)
	dst = appendHex(dst, uint64(now.Unix()), 8)
	dst = append(dst, '-')
	dst = appendHex(dst, rand.Uint64(), 16)
	return appendHex(dst, rand.Uint64(), 8)
}

// NewTraceID returns AppendTraceID's value as a string.
func NewTraceID(now time.Time) string {
	return string(AppendTraceID(make([]byte, 0, TraceIDLen), now))
}

// appendHex appends the low digits hex digits of v.
func appendHex(dst []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

// StableID derives an id of n lower-case letters and digits from name, in
// the alphabet of API Gateway's own ids (REST resource ids, API key ids):
// the same name always gives the same id, so ids stay put across restarts.
func StableID(name string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	h.Write([]byte(name))
	v := h.Sum64()
	id := make([]byte, n)
	for i := range id {
		id[i] = alphabet[v%uint64(len(alphabet))]
		v /= uint64(len(alphabet))
	}
	return string(id)
}
