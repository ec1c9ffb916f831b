// Package loopback is the one copy of the question "does this address stay
// on this machine?": a loopback IP, or localhost. An empty host listens on
// every interface, so it is not loopback.
package loopback

import (
	"net"
	"net/netip"
)

// Host reports whether host, a name or an IP address (IPv6 in brackets or
// not), names only the loopback interface.
func Host(host string) bool {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Addr reports whether a listen address or a Host header, host:port or a
// host alone, names only the loopback interface.
func Addr(addr string) bool {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return Host(addr)
}
