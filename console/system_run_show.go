package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// showSystemRun shows any run to platform support, read-only: the decision
// and diagnostics of the workspace page without its actions, and runs as
// the only links (support holds no workspace grant).
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
	t := s.tr(c)
	d := s.runDetail(t, run, rs.env, rs.initiator, linker{run: systemRunPath})
	d.Diagnostics = append([]fact{{Label: t.T("console.diag.workspace"), Text: rs.ws.Name, Code: rs.ws.Slug}}, d.Diagnostics...)
	return s.renderRun(w, r, c, d, "system", nil, "/system/ops/runs")
}
