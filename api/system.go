package api

import (
	"errors"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// listSystemOperations lists runs across every workspace for platform
// support, with the filters of the workspace list.
func (s *Server) listSystemOperations(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.runFilter(r, store.RunFilter{AllWorkspaces: true})
	if err != nil {
		return err
	}
	slugs := map[int64]string{}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		all, err := tx.Workspaces(r.Context())
		for _, ws := range all {
			slugs[ws.ID] = ws.Slug
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.listRuns(w, r, c, f, func(run *reckon.Run) string { return slugs[run.WorkspaceID] })
}

// sweep runs one reconciliation sweep now. Runs that could not be judged
// stay for the next sweep and are counted, not failed.
func (s *Server) sweep(w http.ResponseWriter, r *http.Request, c *call) error {
	res, err := s.reconciler.Sweep(r.Context())
	if err != nil && !errors.Is(err, reconcile.ErrUnjudged) {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
