package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// zoneCookie carries the browser's time zone, which the page script sets;
// a user's saved zone wins over it.
const zoneCookie = "reckon_tz"

// timeZone is the zone a request's times are shown in: the user's setting,
// else the browser's, else UTC (nil).
func timeZone(r *http.Request, session *store.ConsoleSession) *time.Location {
	if session != nil && session.Settings.TimeZone != "" {
		if loc, ok := locale.Zone(session.Settings.TimeZone); ok {
			return loc
		}
	}
	if ck, err := r.Cookie(zoneCookie); err == nil {
		if name, err := url.QueryUnescape(ck.Value); err == nil {
			if loc, ok := locale.Zone(name); ok {
				return loc
			}
		}
	}
	return nil
}

// commonZones are offered as suggestions; any IANA zone is accepted.
var commonZones = []string{"UTC", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "Europe/Paris",
	"America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"}

type settingsPage struct {
	*layout
	TimeZone    string
	Browser     string // the zone the browser reported, "" when none
	Zones       []string
	MuteSuccess bool
	Error       string
}

// showSettings shows a user's console settings.
func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, c *call) error {
	t := s.tr(c)
	p := &settingsPage{TimeZone: c.session.Settings.TimeZone, MuteSuccess: c.session.Settings.MuteSuccess, Zones: commonZones}
	if ck, err := r.Cookie(zoneCookie); err == nil {
		if name, err := url.QueryUnescape(ck.Value); err == nil {
			if _, ok := locale.Zone(name); ok {
				p.Browser = name
			}
		}
	}
	var err error
	if p.layout, err = s.page(r.Context(), r, c, t.T("console.settings.title"), "settings", nil); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "settings", p)
}

// saveSettings saves a user's time zone and muting; an unknown zone is
// refused with a message and nothing is saved.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	set := store.UserSettings{TimeZone: r.PostFormValue("time_zone"), MuteSuccess: r.PostFormValue("mute_success") != ""}
	if set.TimeZone != "" {
		if _, ok := locale.Zone(set.TimeZone); !ok {
			return s.redirectWithFlash(w, r, c, "/settings", &flash{Level: levelError,
				Message: reckon.Msg("console.settings.bad_zone", "zone", set.TimeZone)})
		}
	}
	if err := s.db.InTx(ctx, func(tx *store.Tx) error { return tx.PutUserSettings(ctx, c.User.ID, set) }); err != nil {
		return err
	}
	return s.redirectWithFlash(w, r, c, "/settings", &flash{Level: levelSuccess, Message: reckon.Msg("console.settings.saved")})
}
