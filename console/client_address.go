package console

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddress is the address a request comes from, for the sign-in
// throttle. It is the connection's peer unless that peer is one of the
// trusted proxies (Deps.TrustedProxies): then X-Forwarded-For is read from
// the right, each trusted proxy's entry skipped, and the first address no
// trusted proxy owns is the client. A header from anyone else is ignored,
// or any client could name a fresh address for every guess.
func (s *Server) clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Not an address: the chain is broken here, and the last
			// proxy that wrote a sound entry is the client we know.
			break
		}
		peer = hop.Unmap()
		if !s.trusted(peer) {
			break
		}
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
