package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// hostileTargets are "next" and "return" values that try to leave the
// site; the browser resolves a Location of "/\evil.example" to
// http://evil.example/.
var hostileTargets = []string{
	`/x/../\evil.example`, `/./\evil.example`, `/\evil.example`, `\\evil.example`, `//evil.example`,
	`/x/..//evil.example`, `///evil.example`, `https://evil.example/admin`, `http:evil.example`,
	`/%5Cevil.example`, `/x/../%5C%5Cevil.example`, "/\t/evil.example", "/\r\n//evil.example",
	`javascript:alert(1)`, `/admin@evil.example`, `//user@evil.example/`, "/\x00/evil.example", "/\xff",
}

// stays reports whether a Location keeps the browser on the site.
func stays(t *testing.T, location string) bool {
	t.Helper()
	base, _ := url.Parse("http://console.example/some/page")
	u, err := url.Parse(location)
	if err != nil {
		return false
	}
	to := base.ResolveReference(u)
	// A browser reads backslashes as slashes and drops tabs and newlines.
	return to.Host == "console.example" && !strings.ContainsAny(location, "\\\t\r\n") && !strings.HasPrefix(location, "//")
}

// Issue 12.1: signed in, GET /login?next=/x/../%5Cevil.example answered
// 303 Location: /\evil.example, and so did POST /login (next), POST
// /language (return) and POST …/reviews/{id}/refresh (return). Every
// target is now rebuilt from its parsed, cleaned path.
func TestRedirectTargetsStayOnTheSite(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.importSnapshot(t, w.envA1, start.Add(-time.Hour), finding("MS.AAD.1.1", "t", "aad", "high", "fail"))
		rv, _ := w.composed(t, w.envA1, w.users["owner"])
		owner := w.as(t, "owner")
		check := func(what string, p *page) {
			t.Helper()
			if p.status != http.StatusSeeOther {
				t.Errorf("%s: %d", what, p.status)
				return
			}
			if loc := p.header.Get("Location"); !stays(t, loc) {
				t.Errorf("%s: Location %q leaves the site", what, loc)
			}
		}
		for _, target := range hostileTargets {
			check("GET /login next="+target, owner.get(t, "/login?next="+url.QueryEscape(target)))
			check("POST /login next="+target, w.client().post(t, "/login",
				url.Values{"email": {w.users["manager"].Email}, "password": {password}, "next": {target}}))
			check("POST /language return="+target, owner.post(t, "/language", url.Values{"lang": {"de"}, "return": {target}}))
			check("POST /language (signed out) return="+target, w.client().post(t, "/language", url.Values{"lang": {"en"}, "return": {target}}))
			check("POST refresh return="+target, owner.post(t, reviewPath(w.wsA, rv.ID)+"/refresh", url.Values{"return": {target}}))
		}
		// Local targets keep their path and query.
		p := owner.post(t, "/language", url.Values{"lang": {"en"}, "return": {"/admin/workspaces/" + w.wsA.Slug + "/operations?status=queued&page=2"}})
		if loc := p.header.Get("Location"); loc != "/admin/workspaces/"+w.wsA.Slug+"/operations?page=2&status=queued" {
			t.Errorf("local target: %q", loc)
		}
	})
}
