package api

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/report"
	"github.com/reckonhq/reckon/locale"
)

// reviewReport answers a review's report for the customer (internal/report):
// the HTML document, in lang or the caller's language, or with format=csv
// the review's findings.
func (s *Server) reviewReport(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	q := newQuery(r.URL)
	format, _ := report.ParseFormat(q.enum("format", func(v string) bool {
		_, ok := report.ParseFormat(v)
		return ok
	}, "html, csv"))
	lang := q.enum("lang", locale.Supported, "en, de")
	if err := q.err(); err != nil {
		return err
	}
	if lang == "" {
		lang = c.lang
	}
	d, err := report.Load(r.Context(), s.db, g.Workspace, c.Review)
	if err != nil {
		return err
	}
	return report.Write(w, s.text, d, format, lang)
}
