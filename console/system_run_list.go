package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// listSystemRuns lists the runs of every workspace for platform support,
// with the filters of a workspace's list. It offers no action.
func (s *Server) listSystemRuns(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t := s.tr(c)
	f, form, err := s.runFilter(ctx, t, r.URL.Query(), store.RunFilter{AllWorkspaces: true})
	if err != nil {
		return err
	}
	form.Action = "/system/ops/runs"
	rc := &rowContext{
		href:         func(run *reckon.Run) string { return systemRunPath(run.ID) },
		environments: map[int64]*reckon.Environment{},
		workspaces:   map[int64]*reckon.Workspace{},
	}
	var groups []optionGroupSource
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		groups = nil // afresh when the transaction runs again
		all, err := tx.Workspaces(ctx)
		if err != nil {
			return err
		}
		for _, ws := range all {
			envs, err := tx.Environments(ctx, ws.ID)
			if err != nil {
				return err
			}
			rc.workspaces[ws.ID] = ws
			for _, e := range envs {
				rc.environments[e.ID] = e
			}
			groups = append(groups, optionGroupSource{label: ws.Name, environments: envs})
		}
		return nil
	})
	if err != nil {
		return err
	}
	form.addEnvironments(t, f.EnvironmentID, groups)
	table := &runTable{ShowWorkspace: true, ShowEnvironment: true, Empty: t.T("console.operations.empty")}
	p, err := s.runList(ctx, t, f, form.Action, r, rc, table)
	if err != nil {
		return err
	}
	title := t.T("console.system.title")
	l, err := s.page(ctx, r, c, title, "system", nil)
	if err != nil {
		return err
	}
	page := &operationsPage{layout: l, Heading: title, Filter: form, Table: table, Pager: p}
	if s.queueUI != nil {
		page.QueueLink = QueuePath + "/"
	}
	return s.render(w, r, c, http.StatusOK, "operations", page)
}
