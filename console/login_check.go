package console

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// Sign-in attempts are counted per account and per client address in a
// window, before any password is checked; the attempt that reaches the
// limit locks that key for a while, and attempts beyond it are refused
// without a check, whatever password they bring. The address limit is
// higher, since many people may share an address.
const (
	loginWindow          = 15 * time.Minute
	loginLock            = 15 * time.Minute
	loginAccountAttempts = 5
	loginAddressAttempts = 20
)

// throttleKey is one counted key of a sign-in attempt, stored hashed, with
// its limit.
type throttleKey struct {
	hash string
	max  int
}

// throttleKeys are the keys of a sign-in attempt.
type throttleKeys struct{ account, address throttleKey }

func (s *Server) keysOf(r *http.Request, email string) throttleKeys {
	return throttleKeys{
		account: throttleKey{access.HashToken("login:account:" + strings.ToLower(email)), loginAccountAttempts},
		address: throttleKey{access.HashToken("login:address:" + s.clientAddress(r)), loginAddressAttempts},
	}
}

// decoyHash is verified when no account has the email, so that an unknown
// email takes as long to refuse as a wrong password.
var decoyHash = sync.OnceValue(func() string {
	h, err := access.HashPassword("reckon-decoy-password")
	if err != nil {
		panic(err)
	}
	return h
})

// checkLogin signs a user in. The attempt is counted on both keys first;
// one over a limit is refused before any password is checked, so that
// concurrent guesses cannot all be checked against a lock not yet set. A
// wrong email or password answers one message for both.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t := s.tr(c)
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	p := &loginPage{Email: email, Next: localPath(r.PostFormValue("next"), "/admin")}
	if !validate.Text(email) {
		// No account has such an email; the page shows none of it.
		p.Email = ""
	}
	keys := s.keysOf(r, email)

	a, err := s.reserveAttempt(ctx, keys)
	if err != nil {
		return err
	}
	if !a.allowed {
		s.log.InfoContext(ctx, "sign-in refused", "request_id", web.RequestID(ctx), "password_checked", false)
		p.Error = t.T("console.login.locked", "minutes", a.lockMinutes())
		return s.renderLogin(w, r, c, http.StatusTooManyRequests, p)
	}

	user, err := s.verify(ctx, email, password)
	if err != nil {
		return err
	}
	if user == nil {
		s.log.InfoContext(ctx, "sign-in refused", "request_id", web.RequestID(ctx), "password_checked", true)
		p.Error = t.T("console.login.failed")
		status := http.StatusUnauthorized
		if a.until != nil {
			p.Error = t.T("console.login.locked", "minutes", a.lockMinutes())
			status = http.StatusTooManyRequests
		}
		return s.renderLogin(w, r, c, status, p)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ClearLoginThrottle(ctx, keys.account.hash); err != nil {
			return err
		}
		return tx.ReleaseLoginAttempt(ctx, keys.address.hash, keys.address.max)
	})
	if err != nil {
		return err
	}
	if err := s.startSession(ctx, w, r, c, user); err != nil {
		return err
	}
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
	return nil
}

// verify returns the user whose email and password match, nil when none.
func (s *Server) verify(ctx context.Context, email, password string) (*reckon.User, error) {
	var user *reckon.User
	if validate.Text(email) {
		// Text no engine can store names no account; PostgreSQL would
		// refuse even to compare it.
		err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
			user, err = tx.UserByEmail(ctx, email)
			if store.IsNotFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	hash := decoyHash()
	if user != nil {
		hash = user.PasswordHash
	}
	ok, err := access.VerifyPassword(hash, password)
	if err != nil || !ok || user == nil || email == "" || password == "" {
		// An account without a usable hash cannot sign in; that is no error
		// of the request.
		return nil, nil
	}
	return user, nil
}

// attempt is a counted sign-in attempt.
type attempt struct {
	allowed bool       // within both limits: its password may be checked
	until   *time.Time // when the later lock of its keys ends; nil when none
	now     time.Time  // the time the count was taken at
}

// lockMinutes rounds the wait until the lock ends up to whole minutes, at
// least one, from the time the lock was read at: a 15-minute lock says 15.
func (a *attempt) lockMinutes() int64 {
	if a.until == nil { // over a limit whose lock a right password took back
		return int64(loginLock.Minutes())
	}
	return max(1, int64(math.Ceil(a.until.Sub(a.now).Minutes())))
}

// reserveAttempt counts an attempt on both keys in one transaction; it is
// allowed when neither count is over its limit.
func (s *Server) reserveAttempt(ctx context.Context, keys throttleKeys) (*attempt, error) {
	a := &attempt{allowed: true}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		a.allowed, a.until, a.now = true, nil, tx.Now()
		for _, k := range []throttleKey{keys.account, keys.address} {
			l, err := tx.ReserveLoginAttempt(ctx, k.hash, loginWindow, k.max, loginLock)
			if err != nil {
				return err
			}
			if l.Attempts > k.max {
				a.allowed = false
			}
			if l.Locked(a.now) && (a.until == nil || l.LockedUntil.After(*a.until)) {
				a.until = l.LockedUntil
			}
		}
		return nil
	})
	return a, err
}
