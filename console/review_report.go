package console

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/report"
	"github.com/reckonhq/reckon/locale"
)

// reportReview serves a review's report for the customer (internal/report),
// the document the API serves, under the console's session: in the page's
// language and time zone unless lang and tz name others, or with format=csv
// the findings. A value the console does not know is ignored, as its
// filters' are.
func (s *Server) reportReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	q := r.URL.Query()
	format, ok := report.ParseFormat(q.Get("format"))
	if !ok {
		format = report.HTML
	}
	lang, zone := c.lang, c.zone
	if l := q.Get("lang"); locale.Supported(l) {
		lang = l
	}
	if z, ok := locale.Zone(q.Get("tz")); ok {
		zone = z
	}
	d, err := report.Load(r.Context(), s.db, g.Workspace, c.Review)
	if err != nil {
		return err
	}
	return report.Write(w, s.text, d, format, lang, zone)
}
