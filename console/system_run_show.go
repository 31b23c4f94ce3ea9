package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// showSystemRun shows any run to platform support: the decision and
// diagnostics of the workspace page, with runs as the only links unless
// the support person is also a member of the run's workspace (the flag
// itself grants no workspace).
func (s *Server) showSystemRun(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := web.PathID(r, "id", "page")
	if err != nil {
		return err
	}
	run, rs, err := s.loadRun(r.Context(), func(tx *store.Tx) (*reckon.Run, error) {
		run, err := tx.RunByID(r.Context(), id)
		if store.IsNotFound(err) {
			return nil, errNotFound
		}
		return run, err
	})
	if err != nil {
		return err
	}
	// A support person who is also a member of the run's workspace gets
	// its links and the actions their role allows there.
	var g *access.Grant
	err = s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		g, err = access.Authorize(r.Context(), tx, c.User, rs.ws.Slug)
		return err
	})
	if err != nil && reckon.ErrorCodeOf(err) != reckon.CodeNotFound {
		return err
	}
	t := s.tr(c)
	l := linker{run: systemRunPath}
	ws := fact{Label: t.T("console.diag.workspace"), Links: []link{{Text: rs.ws.Name}}, Code: rs.ws.Slug}
	if g != nil && (run.EnvironmentID == 0 || g.Sees(run.EnvironmentID)) {
		l.review = func(id int64) string { return reviewPath(rs.ws.Slug, id) }
		l.environment = func(id int64) string { return environmentPath(rs.ws.Slug, id) }
		ws.Links[0].Href = workspacePath(rs.ws.Slug)
	}
	d := s.runDetail(t, run, rs, l)
	d.Diagnostics = append([]fact{ws}, d.Diagnostics...)
	if l.environment == nil {
		g = nil
	}
	s.operatorDetail(t, d, run, rs, l, rs.ws.Slug, g, c.User.IsPlatformSupport)
	return s.renderRun(w, r, c, d, "system", nil, "/system/ops/runs")
}
