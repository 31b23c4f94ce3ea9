package console

import (
	"fmt"
	"net/http"

	"github.com/reckonhq/reckon/access"
)

// reconcileOperation is "Reconcile now": the reconciler judges the run at
// once, and the page says whether that changed it, or why it may not judge
// the run here.
func (s *Server) reconcileOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	id := c.Run.ID
	if s.reconciler == nil {
		return errNotFound
	}
	run, changed, err := s.reconciler.ReconcileRun(ctx, g.Workspace.ID, id, fmt.Sprintf("user:%d", c.User.ID))
	if err != nil {
		return s.formError(w, r, c, operationPath(g.Workspace.Slug, id), err)
	}
	f := &flash{Level: levelInfo}
	switch {
	case changed:
		f.Level = levelSuccess
		f.Message.Key = "console.flash.reconciled"
		f.Keys = map[string]string{"outcome": outcomeKeys[run.Outcome]}
	case run.Status.Active():
		f.Message.Key = "console.flash.reconcile_no_proof"
	default:
		f.Message.Key = "console.flash.already_completed"
	}
	return s.redirectWithFlash(w, r, c, operationPath(g.Workspace.Slug, id), f)
}
