package api

import (
	"context"
	"net/http"
	"time"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/report"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// reviewReport answers a review's report for the customer (internal/report):
// the HTML document, in lang or the caller's language, its times in tz or
// the zone the caller saved in the console's settings, else UTC; or with
// format=csv the review's findings.
func (s *Server) reviewReport(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	q := newQuery(r.URL)
	format, _ := report.ParseFormat(q.enum("format", func(v string) bool {
		_, ok := report.ParseFormat(v)
		return ok
	}, "html, csv"))
	lang := q.enum("lang", locale.Supported, "en, de")
	zone := q.zone("tz")
	if err := q.err(); err != nil {
		return err
	}
	if lang == "" {
		lang = c.lang
	}
	if zone == nil && format == report.HTML { // the findings CSV has no times
		var err error
		if zone, err = s.savedZone(r.Context(), c.User.ID); err != nil {
			return err
		}
	}
	d, err := report.Load(r.Context(), s.db, g.Workspace, c.Review)
	if err != nil {
		return err
	}
	return report.Write(w, s.text, d, format, lang, zone)
}

// savedZone is the time zone a user saved in the console's settings; nil
// (UTC) when none is saved.
func (s *Server) savedZone(ctx context.Context, userID int64) (*time.Location, error) {
	var set store.UserSettings
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		set, err = tx.UserSettingsOf(ctx, userID)
		return err
	})
	zone, _ := locale.Zone(set.TimeZone)
	return zone, err
}
