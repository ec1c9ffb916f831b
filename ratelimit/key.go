package ratelimit

import (
	"crypto/sha256"
	"strings"
	"unsafe"
)

// Client is what the gateway knows of a request's client, for AppendKey.
// Fields the route does not use may be left empty.
type Client struct {
	// IP is the client address as the gateway resolved it (after
	// trustedProxies), in any stable form; it is used as given.
	IP []byte
	// APIKey is the request's API key value, if any.
	APIKey string
	// Subject is the `sub` claim of the request's verified JWT, if any.
	Subject string
	// Header returns the value of a request header, nil when absent; the
	// value need only stay valid during the call to AppendKey.
	Header func(name string) []byte
}

// maxKeyValue is the longest client value kept as is in a key; longer ones
// are replaced by a digest, so that a long header cannot make a bucket
// large.
const maxKeyValue = 64

// AppendKey appends to dst the part of a bucket key that keyKind (a
// Throttle.Key) selects from c, and reports whether c has it.
//
// For route (or "") it appends nothing and returns true: the route-wide
// bucket. Otherwise it appends keyKind, '=' and the value (the IP, the API
// key, the JWT subject or the header's value); a value longer than 64 bytes
// is replaced by '#' and the first 16 bytes of its SHA-256, so keys stay
// short and a client cannot collide with another on purpose. The kind in
// the key keeps values of different kinds apart under one prefix.
//
// It returns dst unchanged and false when the value is missing or empty
// (no API key, no token, no such header) or keyKind is unknown. The gateway
// then falls back to the route-wide bucket: a request without the key
// shares the bucket of the route with every other such request, so a
// client cannot escape a per-client limit by leaving the key out, and
// cannot starve clients that send one.
//
// Give the gateway's prefix (route and throttle identity) a terminator, e.g.
// a 0 byte, so that one route's prefix is never the start of another's.
// AppendKey does not allocate.
func AppendKey(dst []byte, keyKind string, c *Client) ([]byte, bool) {
	var v []byte
	var s string
	switch keyKind {
	case "", KeyRoute:
		return dst, true
	case KeyIP:
		v = c.IP
	case KeyAPIKey:
		s = c.APIKey
	case KeyJWTSubject:
		s = c.Subject
	default:
		name, ok := strings.CutPrefix(keyKind, KeyHeaderPrefix)
		if !ok || name == "" || c.Header == nil {
			return dst, false
		}
		v = c.Header(name)
	}
	if len(v) == 0 && len(s) == 0 {
		return dst, false
	}
	dst = append(dst, keyKind...)
	if len(v) > maxKeyValue || len(s) > maxKeyValue {
		if v == nil {
			v = stringBytes(s)
		}
		sum := sha256.Sum256(v)
		dst = append(dst, '#')
		return append(dst, sum[:16]...), true
	}
	dst = append(dst, '=')
	dst = append(dst, v...)
	return append(dst, s...), true
}

// stringBytes returns the bytes of s without copying them; they must not be
// modified.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
