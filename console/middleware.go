package console

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/api"
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

// recoverPanics answers a panic with the console's error page; the stack
// goes to the log under the request id.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(r.Context(), "panic", "request_id", api.RequestID(r.Context()), "route", r.Pattern,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.renderError(w, r, &call{lang: s.language(r, nil)}, fmt.Errorf("panic: %v", p))
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers an unsafe request from another origin.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, &call{lang: s.language(r, nil)},
		&reckon.Error{Code: reckon.CodeForbidden, Message: reckon.Msg("console.error.cross_origin")})
}

// call is what a handler knows about its request: who asks, in which
// language, and their session.
type call struct {
	user    *reckon.User
	session *store.ConsoleSession
	lang    string
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// public serves pages that need no sign-in; the session is still read, so
// that the login page knows who is signed in and in which language.
func (s *Server) public(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{}
		if err := s.loadSession(r, c); err != nil {
			s.renderError(w, r, c, err)
			return
		}
		c.lang = s.language(r, c.user)
		if err := fn(w, r, c); err != nil {
			s.renderError(w, r, c, err)
		}
	})
}

// signedIn serves pages for signed-in users; others are sent to sign in
// and come back afterwards.
func (s *Server) signedIn(fn handlerFunc) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request, c *call) error {
		if c.user == nil {
			if r.Method != http.MethodGet {
				return errUnauthorized
			}
			http.Redirect(w, r, "/login?next="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		w.Header().Set("Cache-Control", "no-store")
		return fn(w, r, c)
	})
}

type workspaceHandler func(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error

// inWorkspace resolves the caller's grant in the {workspace} of the path
// through the access policy: a workspace they are not a member of does not
// exist for them.
func (s *Server) inWorkspace(fn workspaceHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		g, err := access.Load(r.Context(), s.db, c.user, r.PathValue("workspace"))
		if err != nil {
			return err
		}
		return fn(w, r, c, g)
	}
}

// system opens a page to platform support only; others are told it does
// not exist.
func (s *Server) system(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := access.RequirePlatformSupport(c.user); err != nil {
			return err
		}
		return fn(w, r, c)
	}
}
