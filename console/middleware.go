package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// contentSecurityPolicy allows the console's own script, styles and
// requests only: no inline script, no framing, forms post to the console.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every console answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// panicked answers a recovered panic with the console's error page; the
// stack is already in the log under the request id.
func (s *Server) panicked(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, &call{lang: s.language(r, nil)}, errPanic)
}

// crossOriginDenied answers an unsafe request from another origin.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, &call{lang: s.language(r, nil)},
		&reckon.Error{Code: reckon.CodeForbidden, Message: reckon.Msg("console.error.cross_origin")})
}

// call is what a handler knows about its request: what it resolved (who
// asks, their grant, the records of the path), in which language, and
// their session.
type call struct {
	web.Access
	session *store.ConsoleSession
	lang    string
	zone    *time.Location // the reader's time zone; nil for UTC
}

type (
	handlerFunc      = web.Handler[*call]
	workspaceHandler = web.GrantHandler[*call]
	route            = web.Route[*call]
)

// public serves pages that need no sign-in; the session is still read, so
// that the login page knows who is signed in and in which language.
func (s *Server) public(fn handlerFunc) http.Handler { return s.serve(web.Plain(fn)) }

// signedIn serves pages for signed-in users; others are sent to sign in
// and come back afterwards.
func (s *Server) signedIn(rt route) http.Handler {
	rt.Need.SignedIn = true
	return s.serve(rt)
}

// serve reads the session and resolves what the route needs in one
// transaction, then runs the handler; every error answers a page.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{}
		err := web.Resolve(r, s.db, rt.Need, s.sessionOf(r, c), &c.Access)
		c.lang = s.language(r, c.User)
		c.zone = timeZone(r, c.session)
		if errors.Is(err, web.ErrSignedOut) {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			err = errUnauthorized
		}
		if rt.Need.SignedIn && c.User != nil {
			w.Header().Set("Cache-Control", "no-store")
		}
		if err == nil {
			err = rt.Serve(w, r, c)
		}
		if err != nil {
			s.renderError(w, r, c, err)
		}
	})
}

// withReview is web.WithReview; without the review service, there are no
// review pages.
func (s *Server) withReview(a access.Action, fn workspaceHandler) route {
	if s.reviews == nil {
		return web.InWorkspace(func(http.ResponseWriter, *http.Request, *call, *access.Grant) error { return errNotFound })
	}
	return web.WithReview(a, fn)
}
