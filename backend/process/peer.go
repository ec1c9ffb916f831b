package process

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Any local process can find an instance's Runtime API port (in
// /proc/<pid>/environ, or by scanning), and TCP has no peer credentials.
// So each accepted connection is traced to the process that holds its
// other end, and served only if that process is the instance's runtime or
// one of its descendants: anything else could take the instance's events
// or answer them. The check runs once per connection; the runtime keeps
// its connection alive, so warm invocations do not pay for it.

var (
	errForeignPeer = errors.New("connection from a process outside the instance")
	errNoSocket    = errors.New("peer socket not found")
)

// peerListener serves only the connections of one instance's processes.
type peerListener struct {
	net.Listener
	in      *instance
	refused rate.Sometimes
}

// Accept returns the next connection; it is checked by its first Read, in
// the goroutine that serves it, so that a flood of foreign connections
// cannot hold up the accept loop, and with it the runtime's own connect.
func (l *peerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &peerConn{Conn: c, l: l}, nil
}

// check reports whether c was made by the instance's runtime or its
// session or descendants, logging (now and then) the ones refused.
func (l *peerListener) check(c net.Conn) error {
	<-l.in.started
	err := errNoSocket
	if l.in.cmd != nil {
		err = checkPeer(c, l.in.cmd.Process.Pid)
	}
	if err != nil {
		l.refused.Do(func() {
			l.in.log.Warn("runtime api connection refused", zap.Stringer("peer", c.RemoteAddr()), zap.Error(err))
		})
	}
	return err
}

// peerConn is a connection whose peer is checked before anything is read
// from it: a foreign one reads as closed, so no request on it is served.
type peerConn struct {
	net.Conn
	l       *peerListener
	once    sync.Once
	refused bool
}

func (c *peerConn) Read(b []byte) (int, error) {
	c.once.Do(func() { c.refused = c.l.check(c.Conn) != nil })
	if c.refused {
		return 0, io.EOF
	}
	return c.Conn.Read(b)
}

// checkPeer reports whether the other end of c belongs to process root or
// to a process of its session or one descending from it. A peer
// that has already gone is refused.
func checkPeer(c net.Conn, root int) error {
	// The peer's socket is the mirror of ours: its local address is our
	// remote one.
	local, ok1 := c.RemoteAddr().(*net.TCPAddr)
	remote, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: not TCP", errForeignPeer)
	}
	inode, err := diagInode(local, remote)
	if err != nil {
		// No sock_diag (or its module cannot be loaded): read the tables.
		if inode, err = procNetInode(local, remote); err != nil {
			return err
		}
	}
	if holdsSocket(root, inode) {
		return nil
	}
	for _, pid := range family(root) {
		if holdsSocket(pid, inode) {
			return nil
		}
	}
	return errForeignPeer
}

// holdsSocket reports whether process pid has socket inode open.
func holdsSocket(pid int, inode uint64) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, fd := range fds {
		if target, err := os.Readlink(dir + fd.Name()); err == nil && target == want {
			return true
		}
	}
	return false
}

// family lists the processes, other than root, of root's session (root
// leads it, and no process outside it can join it) or descending from root
// (which covers a child that started a session of its own).
func family(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	type proc struct{ ppid, sid int }
	procs := make(map[int]proc, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		if ppid, sid, ok := readStat(pid); ok {
			procs[pid] = proc{ppid, sid}
		}
	}
	var out []int
	for pid, p := range procs {
		in := p.sid == root
		// Walk up the parents; the bound guards against a snapshot made
		// inconsistent by pids reused while it was read.
		for up, n := p.ppid, 0; !in && n < len(procs); n++ {
			if up == root {
				in = true
				break
			}
			q, ok := procs[up]
			if !ok {
				break
			}
			up = q.ppid
		}
		if in {
			out = append(out, pid)
		}
	}
	return out
}

// readStat returns the parent and session of pid.
func readStat(pid int) (ppid, sid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) state ppid pgrp session ...": comm may hold spaces and
	// parens.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 4 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	sid, err2 := strconv.Atoi(string(f[3]))
	return ppid, sid, err1 == nil && err2 == nil
}

// diagInode asks the kernel (NETLINK_SOCK_DIAG) for the inode of the TCP
// socket bound to local and connected to remote: one exact lookup,
// however many sockets the host has.
func diagInode(local, remote *net.TCPAddr) (uint64, error) {
	const (
		netlinkSockDiag  = 4  // NETLINK_SOCK_DIAG
		sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
		nlmsgError       = 2  // NLMSG_ERROR
		hdrLen           = 16 // struct nlmsghdr
		reqLen           = 56 // struct inet_diag_req_v2
		msgLen           = 72 // struct inet_diag_msg, up to idiag_inode
	)
	family, src, dst := byte(syscall.AF_INET), local.IP.To4(), remote.IP.To4()
	if src == nil || dst == nil {
		family, src, dst = syscall.AF_INET6, local.IP.To16(), remote.IP.To16()
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(int64(time.Second))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return 0, err
	}

	var req [hdrLen + reqLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence number
	r := req[hdrLen:]
	r[0], r[1] = family, syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], ^uint32(0)) // every state
	binary.BigEndian.PutUint16(r[8:], uint16(local.Port))
	binary.BigEndian.PutUint16(r[10:], uint16(remote.Port))
	copy(r[12:28], src)
	copy(r[28:44], dst)
	ne.PutUint32(r[48:], ^uint32(0)) // INET_DIAG_NOCOOKIE: any socket with
	ne.PutUint32(r[52:], ^uint32(0)) // these addresses
	if err := syscall.Sendto(fd, req[:], 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, err
	}
	var resp [512]byte
	n, _, err := syscall.Recvfrom(fd, resp[:], 0)
	if err != nil {
		return 0, err
	}
	switch {
	case n >= hdrLen+4 && ne.Uint16(resp[4:]) == nlmsgError:
		return 0, syscall.Errno(-int32(ne.Uint32(resp[hdrLen:])))
	case n < hdrLen+msgLen || ne.Uint16(resp[4:]) != sockDiagByFamily:
		return 0, fmt.Errorf("sock_diag: unexpected answer (%d bytes)", n)
	}
	return uint64(ne.Uint32(resp[hdrLen+msgLen-4:])), nil
}

// procNetInode finds the socket in /proc/net/tcp and tcp6: slower, as it
// lists every TCP socket of the host.
func procNetInode(local, remote *net.TCPAddr) (uint64, error) {
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		v6 := table == "/proc/net/tcp6"
		la, ra := procNetAddr(local, v6), procNetAddr(remote, v6)
		if la == "" || ra == "" {
			continue
		}
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode"
			fields := bytes.Fields(sc.Bytes())
			if len(fields) > 9 && string(fields[1]) == la && string(fields[2]) == ra {
				f.Close()
				return strconv.ParseUint(string(fields[9]), 10, 64)
			}
		}
		f.Close()
	}
	return 0, errNoSocket
}

// procNetAddr writes a as /proc/net/tcp{,6} does: each 32-bit word of
// the address in host byte order, in hex, then the port. An IPv4 address
// appears in tcp6 IPv4-mapped.
func procNetAddr(a *net.TCPAddr, v6 bool) string {
	ip := a.IP.To4()
	if v6 {
		ip = a.IP.To16()
	}
	if ip == nil {
		return ""
	}
	var b []byte
	for i := 0; i < len(ip); i += 4 {
		b = fmt.Appendf(b, "%08X", binary.NativeEndian.Uint32(ip[i:i+4]))
	}
	return fmt.Sprintf("%s:%04X", b, a.Port)
}
