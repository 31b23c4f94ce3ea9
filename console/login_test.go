package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/store"
)

func sessionCookie(t testing.TB, p *page) *http.Cookie {
	t.Helper()
	for _, line := range p.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == "reckon_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", p.header.Values("Set-Cookie"))
	return nil
}

func TestSignInSessionsAndSignOut(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.client()
		// Signed out, a page sends to the sign-in form and back afterwards.
		p := c.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations")
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/workspaces/"+w.wsA.Slug+"/operations") {
			t.Fatalf("signed-out page: %d %s", p.status, p.header.Get("Location"))
		}
		login := c.follow(t, p)
		expect(t, login, http.StatusOK, `<label for="login-email">`, `<label for="login-password">`, `autocomplete="current-password"`,
			en("console.login.title"))

		// A wrong password and an unknown email read alike.
		for _, email := range []string{w.users["owner"].Email, "nobody@example.test"} {
			p = c.post(t, "/login", url.Values{"email": {email}, "password": {"wrong password!"}})
			expect(t, p, http.StatusUnauthorized, en("console.login.failed"))
			lacks(t, p, "nobody@example.test is")
		}

		p = c.post(t, "/login", url.Values{"email": {w.users["owner"].Email}, "password": {password},
			"next": {"/admin/workspaces/" + w.wsA.Slug + "/operations"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/workspaces/"+w.wsA.Slug+"/operations" {
			t.Fatalf("sign in: %d %s", p.status, p.header.Get("Location"))
		}
		first := sessionCookie(t, p)
		if !first.HttpOnly || first.SameSite != http.SameSiteLaxMode || first.Path != "/" || first.Secure {
			t.Fatalf("cookie attributes: %+v", first)
		}
		// The lifetime is relative: an absolute Expires taken from the
		// server's clock would be judged by the browser's, and a test clock
		// (or a skewed server) would sign everyone out at once.
		if !first.Expires.IsZero() || first.RawExpires != "" || first.MaxAge != int(console.DefaultSessionTTL/time.Second) {
			t.Fatalf("session cookie lifetime: Expires %q, Max-Age %d; want Max-Age %d and no Expires",
				first.RawExpires, first.MaxAge, int(console.DefaultSessionTTL/time.Second))
		}
		// Only the hash of the id is stored.
		w.tx(t, func(tx *store.Tx) error {
			if _, err := tx.ConsoleSessionByHash(context.Background(), first.Value); !store.IsNotFound(err) {
				t.Errorf("the session id itself is a key: %v", err)
			}
			s, err := tx.ConsoleSessionByHash(context.Background(), access.HashToken(first.Value))
			if err != nil || s.User.ID != w.users["owner"].ID {
				t.Errorf("session by hash: %v %v", s, err)
			}
			return nil
		})
		expect(t, c.follow(t, p), http.StatusOK, en("console.operations.title"), w.users["owner"].Name)

		// A "next" that leaves the site is ignored.
		other := w.client()
		p = other.post(t, "/login", url.Values{"email": {w.users["owner"].Email}, "password": {password}, "next": {"//evil.example/x"}})
		if p.header.Get("Location") != "/admin" {
			t.Fatalf("open redirect: %s", p.header.Get("Location"))
		}

		// Signing in again renews the id and ends the old session.
		p = c.post(t, "/login", url.Values{"email": {w.users["owner"].Email}, "password": {password}})
		second := sessionCookie(t, p)
		if second.Value == first.Value {
			t.Fatal("the session id was not renewed at sign-in")
		}
		stale := w.client()
		u, _ := url.Parse(w.server.URL)
		stale.http.Jar.SetCookies(u, []*http.Cookie{{Name: "reckon_session", Value: first.Value}})
		if p := stale.get(t, "/admin"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
			t.Fatalf("the old session still works: %d", p.status)
		}

		// Signing out ends the session; its id no longer opens anything.
		p = c.post(t, "/logout", nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Fatalf("sign out: %d %s", p.status, p.header.Get("Location"))
		}
		replay := w.client()
		replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: "reckon_session", Value: second.Value}})
		if p := replay.get(t, "/admin"); p.status != http.StatusSeeOther {
			t.Fatalf("a signed-out session still works: %d", p.status)
		}
		// An unsafe request without a session is refused, not redirected.
		p = replay.post(t, envPath(w.envA1, w.wsA)+"/reviews", nil)
		expect(t, p, http.StatusUnauthorized, en("console.error.signed_out"))
	})
}

// Behind TLS the session cookie is Secure.
func TestSessionCookieIsSecureOverTLS(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		for _, tc := range []struct {
			name   string
			target string
			deps   console.Deps
		}{
			{"tls", "https://console.example/login", console.Deps{}},
			{"proxy", "http://console.example/login", console.Deps{SecureCookies: true}},
		} {
			d := tc.deps
			d.DB, d.Catalog, d.Reviews, d.Clock = w.db, w.cat, w.reviews, w.clock.Now
			h, err := console.New(d)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, tc.target,
				strings.NewReader(url.Values{"email": {w.users["owner"].Email}, "password": {password}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			p := &page{status: rec.Code, header: rec.Header()}
			if c := sessionCookie(t, p); !c.Secure || !c.HttpOnly {
				t.Errorf("%s: cookie %+v", tc.name, c)
			}
		}
	})
}

func TestFailedSignInsAreThrottled(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.client()
		email := w.users["operator"].Email
		for i := 1; i <= 4; i++ {
			p := c.post(t, "/login", url.Values{"email": {email}, "password": {"wrong password!"}})
			expect(t, p, http.StatusUnauthorized, en("console.login.failed"))
		}
		p := c.post(t, "/login", url.Values{"email": {email}, "password": {"wrong password!"}})
		expect(t, p, http.StatusTooManyRequests, en("console.login.locked", "minutes", 15))
		// Locked, even the right password is not checked.
		p = c.post(t, "/login", url.Values{"email": {email}, "password": {password}})
		expect(t, p, http.StatusTooManyRequests)
		// Other accounts are not locked by it.
		if p := w.as(t, "readonly").get(t, "/admin"); p.status == http.StatusTooManyRequests {
			t.Fatal("another account is locked")
		}
		// German, and a lock that ends.
		c.lang = "de"
		w.clock.Advance(10 * time.Minute)
		p = c.post(t, "/login", url.Values{"email": {email}, "password": {password}})
		expect(t, p, http.StatusTooManyRequests, de("console.login.locked", "minutes", 5))
		w.clock.Advance(6 * time.Minute)
		p = c.post(t, "/login", url.Values{"email": {email}, "password": {password}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("after the lock: %d %s", p.status, p.body)
		}
		// Success clears the count: four more failures do not lock.
		other := w.client()
		for i := 1; i <= 4; i++ {
			p := other.post(t, "/login", url.Values{"email": {email}, "password": {"wrong password!"}})
			expect(t, p, http.StatusUnauthorized)
		}
	})
}
