package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/restore"
)

// A user's time zone shows every time in it, with UTC on hover; without
// one the browser's zone (the script's cookie) is used, else UTC. An
// unknown zone is refused.
func TestTimeZoneSetting(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		c := w.as(t, "operator")
		path := opPath(w.wsA, h.succeeded.ID)
		utc := start.UTC().Format("2006-01-02 15:04:05") + " UTC"
		// UTC by default.
		expect(t, c.get(t, path), http.StatusOK, `title="`+utc+`">`, `<span class="absolute">`+utc+`</span>`)

		// The browser's zone, from the page script's cookie.
		browserZone(t, c, "America/New_York")
		p := c.get(t, path)
		ny := start.In(mustZone(t, "America/New_York")).Format("2006-01-02 15:04:05 MST")
		expect(t, p, http.StatusOK, `<span class="absolute" title="`+utc+`">`+ny+`</span>`)

		// A saved zone wins over the browser's.
		expect(t, c.get(t, "/settings"), http.StatusOK, `id="settings-zone" name="time_zone" value=""`,
			en("console.settings.browser_zone", "zone", "America/New_York"))
		p = c.follow(t, c.post(t, "/settings", map[string][]string{"time_zone": {"Europe/Berlin"}}))
		text, _ := flashOf(t, p)
		if !strings.Contains(text, en("console.settings.saved")) {
			t.Fatalf("save: %s", text)
		}
		expect(t, p, http.StatusOK, `value="Europe/Berlin"`)
		berlin := start.In(mustZone(t, "Europe/Berlin")).Format("2006-01-02 15:04:05 MST")
		p = c.get(t, path)
		expect(t, p, http.StatusOK, `<span class="absolute" title="`+utc+`">`+berlin+`</span>`, `<time datetime="`)
		lacks(t, p, ny)
		// German writes it its way.
		c.lang = "de"
		deBerlin := start.In(mustZone(t, "Europe/Berlin")).Format("02.01.2006, 15:04:05 MST")
		expect(t, c.get(t, path), http.StatusOK, deBerlin)
		c.lang = ""

		// An unknown zone is refused and nothing changes; "Local" would be
		// the server's zone and is refused too.
		for _, bad := range []string{"Mars/Olympus", "Local", "../../etc/passwd"} {
			p = c.follow(t, c.post(t, "/settings", map[string][]string{"time_zone": {bad}}))
			text, _ = flashOf(t, p)
			if !strings.Contains(text, "flash-error") {
				t.Fatalf("zone %q: %s", bad, text)
			}
			expect(t, p, http.StatusOK, `value="Europe/Berlin"`)
		}
		// Back to the browser's.
		c.follow(t, c.post(t, "/settings", map[string][]string{"time_zone": {""}}))
		p = c.get(t, path)
		expect(t, p, http.StatusOK, ny)
		// Settings are the user's own: another user still sees UTC.
		expect(t, w.as(t, "owner").get(t, path), http.StatusOK, `<span class="absolute">`+utc+`</span>`)
		// Signed out, there are no settings.
		if p := w.client().get(t, "/settings"); p.status != http.StatusSeeOther {
			t.Fatalf("signed-out settings: %d", p.status)
		}
	})
}

// Notifications filter by unread and failures, name their workspace, and
// a user may mute those of succeeded runs, count included.
func TestNotificationFiltersAndMuting(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t) // the operator's compose succeeded: one notification
		operator := w.as(t, "operator")
		st := w.restored(t, w.envA2, "backup-9", w.users["operator"].ID, restore.Item{Key: "bad", Payload: json.RawMessage(`[]`)})
		succeeded, failed := `href="`+opPath(w.wsA, h.succeeded.ID)+`"`, `href="`+opPath(w.wsA, st.Run.ID)+`"`
		p := operator.get(t, "/notifications")
		expect(t, p, http.StatusOK, succeeded, failed, `<span class="count">2<`,
			`<a href="/admin/workspaces/`+w.wsA.Slug+`" class="notification-workspace">`+w.wsA.Name+`</a>`,
			`<a aria-current="page">`+en("console.notifications.all")+`</a>`, `href="/notifications?show=failures"`)
		p = operator.get(t, "/notifications?show=failures")
		expect(t, p, http.StatusOK, failed, `<a aria-current="page">`+en("console.notifications.failures")+`</a>`)
		lacks(t, p, succeeded)

		// Read the failure: the unread view keeps the success only.
		operator.follow(t, operator.post(t, "/notifications/read", nil))
		w.importSnapshot(t, w.envA2, start, baseFindings...)
		_, again := w.composed(t, w.envA2, w.users["operator"])
		p = operator.get(t, "/notifications?show=unread")
		expect(t, p, http.StatusOK, `href="`+opPath(w.wsA, again.ID)+`"`)
		lacks(t, p, failed, succeeded)

		// Muted: successes leave the list and the count.
		operator.follow(t, operator.post(t, "/settings", map[string][]string{"mute_success": {"1"}}))
		p = operator.get(t, "/notifications")
		expect(t, p, http.StatusOK, failed, en("console.notifications.muted"))
		lacks(t, p, succeeded, `href="`+opPath(w.wsA, again.ID)+`"`, `<span class="count">`)
		expect(t, operator.get(t, "/settings"), http.StatusOK, `id="settings-mute" name="mute_success" value="1" checked`)
		// An unknown view is ignored and said so.
		expect(t, operator.get(t, "/notifications?show=everything"), http.StatusOK, en("console.filter.ignored"), failed)
		// German.
		operator.lang = "de"
		expect(t, operator.get(t, "/notifications"), http.StatusOK, de("console.notifications.failures"), de("console.notifications.muted"))
	})
}

// browserZone sets the cookie the page script sets from the browser's zone.
func browserZone(t *testing.T, c *client, zone string) {
	t.Helper()
	u, err := url.Parse(c.w.server.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "reckon_tz", Value: url.QueryEscape(zone), Path: "/"}})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
