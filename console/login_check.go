package console

import (
	"context"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

// Failed sign-ins are counted per account and per client address in a
// window; reaching the limit locks that key for a while, whatever password
// comes next. The address limit is higher, since many people may share an
// address.
const (
	loginWindow          = 15 * time.Minute
	loginLock            = 15 * time.Minute
	loginAccountFailures = 5
	loginAddressFailures = 20
)

// throttleKeys are the keys of a sign-in attempt, stored hashed.
type throttleKeys struct{ account, address string }

func keysOf(r *http.Request, email string) throttleKeys {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return throttleKeys{
		account: access.HashToken("login:account:" + strings.ToLower(email)),
		address: access.HashToken("login:address:" + host),
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

// checkLogin signs a user in: a locked key is refused before any password
// is checked; a wrong email or password answers one message for both.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t := s.tr(c)
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	p := &loginPage{Email: email, Next: localPath(r.PostFormValue("next"), "/admin")}
	keys := keysOf(r, email)

	if until, err := s.lockedUntil(ctx, keys); err != nil {
		return err
	} else if until != nil {
		p.Error = t.T("console.login.locked", "minutes", minutesUntil(t.now, *until))
		return s.renderLogin(w, r, c, http.StatusTooManyRequests, p)
	}

	user, err := s.verify(ctx, email, password)
	if err != nil {
		return err
	}
	if user == nil {
		until, err := s.recordFailure(ctx, keys)
		if err != nil {
			return err
		}
		p.Error = t.T("console.login.failed")
		status := http.StatusUnauthorized
		if until != nil {
			p.Error = t.T("console.login.locked", "minutes", minutesUntil(t.now, *until))
			status = http.StatusTooManyRequests
		}
		return s.renderLogin(w, r, c, status, p)
	}
	if err := s.db.InTx(ctx, func(tx *store.Tx) error { return tx.ClearLoginThrottle(ctx, keys.account) }); err != nil {
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

// lockedUntil returns when the later lock of the attempt's keys ends, nil
// when neither is locked.
func (s *Server) lockedUntil(ctx context.Context, keys throttleKeys) (*time.Time, error) {
	var until *time.Time
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, k := range []string{keys.account, keys.address} {
			l, err := tx.LoginThrottleByKey(ctx, k)
			if store.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			until = laterLock(until, l, now)
		}
		return nil
	})
	return until, err
}

// laterLock returns the later of a lock end and a key's lock, if it holds
// at now.
func laterLock(until *time.Time, l *store.LoginThrottle, now time.Time) *time.Time {
	if l.Locked(now) && (until == nil || l.LockedUntil.After(*until)) {
		return l.LockedUntil
	}
	return until
}

// recordFailure counts a failed attempt on both keys and returns the lock
// it caused, if any.
func (s *Server) recordFailure(ctx context.Context, keys throttleKeys) (*time.Time, error) {
	var until *time.Time
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		until = nil // afresh when the transaction runs again
		for _, k := range []struct {
			hash string
			max  int
		}{{keys.account, loginAccountFailures}, {keys.address, loginAddressFailures}} {
			l, err := tx.RecordLoginFailure(ctx, k.hash, loginWindow, k.max, loginLock)
			if err != nil {
				return err
			}
			until = laterLock(until, l, now)
		}
		return nil
	})
	return until, err
}

// minutesUntil rounds a wait up to whole minutes, at least one.
func minutesUntil(now, until time.Time) int64 {
	return max(1, int64(math.Ceil(until.Sub(now).Minutes())))
}
