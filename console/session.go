package console

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// Cookie names. The session cookie holds a random id whose hash is the
// session's key in the database; the language cookie remembers the choice
// of someone not signed in.
const (
	sessionCookie  = "reckon_session"
	languageCookie = "reckon_lang"
)

// secureRequest reports whether cookies of this answer must be Secure.
func (s *Server) secureRequest(r *http.Request) bool { return s.secure || r.TLS != nil }

// sessionOf reads the session cookie: when it names a live session, the
// caller is its user. Without a session cookie there is nothing to read.
func (s *Server) sessionOf(r *http.Request, c *call) web.Authenticate {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || !strings.HasPrefix(ck.Value, access.TokenPrefix) {
		return nil
	}
	return func(ctx context.Context, tx *store.Tx) (*reckon.User, error) {
		sess, err := tx.ConsoleSessionByHash(ctx, access.HashToken(ck.Value))
		if store.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		c.session = sess
		return sess.User, nil
	}
}

// startSession signs a user in with a new session id, ending the session
// the request came with (the id is renewed at every sign-in).
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call, user *reckon.User) error {
	secret, hash, err := access.NewToken()
	if err != nil {
		return fmt.Errorf("console: new session: %w", err)
	}
	expires := s.clock().Add(s.sessionTTL)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if c.session != nil {
			if err := tx.DeleteConsoleSession(ctx, c.session.IDHash); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteExpiredConsoleSessions(ctx); err != nil {
			return err
		}
		return tx.CreateConsoleSession(ctx, hash, user.ID, expires)
	})
	if err != nil {
		return err
	}
	// The browser gets a lifetime relative to its own clock (Max-Age), never
	// an absolute time from ours: the two clocks need not agree (a test clock,
	// a skewed server), and the server-side expiry above is what counts.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(s.sessionTTL / time.Second),
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	c.session = &store.ConsoleSession{IDHash: hash, User: user, ExpiresAt: expires}
	c.User = user
	return nil
}

// endSession signs out: the session row goes and the cookie is cleared.
func (s *Server) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call) error {
	if c.session != nil {
		if err := s.db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteConsoleSession(ctx, c.session.IDHash) }); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	c.session, c.User = nil, nil
	return nil
}

// language picks the language of a request: the user's setting, else the
// language cookie, else Accept-Language, else English.
func (s *Server) language(r *http.Request, user *reckon.User) string {
	if user != nil && locale.Supported(user.Locale) {
		return user.Locale
	}
	if ck, err := r.Cookie(languageCookie); err == nil && locale.Supported(ck.Value) {
		return ck.Value
	}
	return locale.Negotiate(r.Header.Get("Accept-Language"))
}

// flash is a one-time message kept with the session between a form's
// answer and the page it redirects to. It holds keys and ids, never text,
// so that it shows in the language of the page that displays it.
type flash struct {
	Level   string         `json:"level"` // "success", "info" or "error"
	Message reckon.Message `json:"message"`
	// Keys are named arguments of the message that are texts themselves,
	// translated when the message is shown.
	Keys map[string]string `json:"keys,omitempty"`
	Link *flashLink        `json:"link,omitempty"`
	// Run is the active run the message is about ("is being composed"):
	// the page script drops the message once that run's row has finished.
	Run int64 `json:"run,omitempty"`
}

type flashLink struct {
	Label string `json:"label"` // a text key
	Href  string `json:"href"`
}

// Flash levels.
const (
	levelSuccess = "success"
	levelInfo    = "info"
	levelError   = "error"
)

// setFlash keeps a message for the next page of the session.
func (s *Server) setFlash(ctx context.Context, c *call, f *flash) error {
	if c.session == nil {
		return nil
	}
	// A message argument that is a text of its own (a status name, say)
	// is kept as its key, so that it is translated when shown.
	for name, v := range f.Message.Args {
		if m, ok := v.(reckon.Message); ok && len(m.Args) == 0 {
			if f.Keys == nil {
				f.Keys = map[string]string{}
			}
			f.Keys[name] = m.Key
			delete(f.Message.Args, name)
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error { return tx.SetConsoleFlash(ctx, c.session.IDHash, b) })
}

// takeFlash returns the session's message, once.
func (s *Server) takeFlash(ctx context.Context, tx *store.Tx, c *call) (*flash, error) {
	if c.session == nil {
		return nil, nil
	}
	raw, err := tx.TakeConsoleFlash(ctx, c.session.IDHash)
	if err != nil || raw == nil {
		return nil, err
	}
	var f flash
	if err := json.Unmarshal(raw, &f); err != nil {
		s.log.WarnContext(ctx, "unreadable flash dropped", "error", err)
		return nil, nil
	}
	// A whole number comes back from JSON as a float64: it is an integer
	// again, so that it is written the language's way (1,000; 1.000).
	for k, v := range f.Message.Args {
		if x, ok := v.(float64); ok && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			f.Message.Args[k] = int64(x)
		}
	}
	return &f, nil
}

// redirectWithFlash answers a form: the message waits in the session and
// the browser goes to the page that shows it (post/redirect/get).
func (s *Server) redirectWithFlash(w http.ResponseWriter, r *http.Request, c *call, to string, f *flash) error {
	if err := s.setFlash(r.Context(), c, f); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// languageCookieAge is how long the language choice of someone not signed
// in is remembered.
const languageCookieAge = 365 * 24 * time.Hour
