package gateway

import (
	"bytes"
	"net"
	"net/netip"
)

// trustedProxies decides whose X-Forwarded-For is believed.
type trustedProxies []netip.Prefix

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr is the TCP peer of a connection, or the zero Addr for an
// in-memory connection.
func peerAddr(addr net.Addr) netip.Addr {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(tcp.IP)
		return a.Unmap()
	}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// sourceIP appends the client's address as API Gateway reports it: the TCP
// peer; or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy.
func (t trustedProxies) appendSourceIP(dst []byte, peer netip.Addr, xff []byte) []byte {
	if len(t) == 0 || len(xff) == 0 || !t.contains(peer) {
		return appendAddr(dst, peer)
	}
	for len(xff) > 0 {
		var hop []byte
		if i := bytes.LastIndexByte(xff, ','); i >= 0 {
			hop, xff = xff[i+1:], xff[:i]
		} else {
			hop, xff = xff, nil
		}
		a, err := netip.ParseAddr(string(bytes.TrimSpace(hop)))
		if err != nil {
			break // a malformed hop: trust nothing to its left
		}
		if !t.contains(a) || len(xff) == 0 {
			return appendAddr(dst, a.Unmap())
		}
	}
	return appendAddr(dst, peer)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, "127.0.0.1"...)
	}
	return a.AppendTo(dst)
}
