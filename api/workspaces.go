package api

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type workspaceJSON struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, c *call) error {
	var list []*reckon.Workspace
	err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		list, err = tx.WorkspacesOfUser(r.Context(), c.User.ID)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]workspaceJSON, len(list))
	for i, ws := range list {
		out[i] = workspaceJSON{Slug: ws.Slug, Name: ws.Name}
	}
	writeJSON(w, http.StatusOK, map[string]any{"workspaces": out})
	return nil
}

type environmentJSON struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	var list []*reckon.Environment
	err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		list, err = g.VisibleEnvironments(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]environmentJSON, len(list))
	for i, e := range list {
		out[i] = environmentJSON{ID: e.ID, Slug: e.Slug, Name: e.Name}
	}
	writeJSON(w, http.StatusOK, map[string]any{"environments": out})
	return nil
}
