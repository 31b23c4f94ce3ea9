package api

import (
	"net/http"
	"path"
	"strings"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/locale"
)

// contentSecurityPolicy forbids everything: an API answer is data, never a
// document to run, frame or submit from, even if a browser is tricked into
// rendering one.
const contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// edge is what every API answer passes first: the restrictive CSP, and a
// JSON 404 for a path that is not in its clean form ("/a/../b", "//",
// "/./"). The mux would answer those with a 307 text/html redirect to
// another workspace's path.
func (s *Server) edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		if p := r.URL.Path; p != cleanPath(p) {
			s.writeError(w, r, locale.Negotiate(r.Header.Get("Accept-Language")), access.NotFound("page"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is the form the mux redirects to: path.Clean, keeping a
// trailing slash.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
