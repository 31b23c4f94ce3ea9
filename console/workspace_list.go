package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

type workspacesPage struct {
	*layout
	Workspaces []link
}

// listWorkspaces lists the caller's workspaces; a member of exactly one
// goes straight to it.
func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	var list []*reckon.Workspace
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		list, err = tx.WorkspacesOfUser(ctx, c.user.ID)
		return err
	})
	if err != nil {
		return err
	}
	if len(list) == 1 && !c.user.IsPlatformSupport {
		http.Redirect(w, r, workspacePath(list[0].Slug), http.StatusSeeOther)
		return nil
	}
	p := &workspacesPage{}
	for _, ws := range list {
		p.Workspaces = append(p.Workspaces, link{Text: ws.Name, Href: workspacePath(ws.Slug)})
	}
	if p.layout, err = s.page(ctx, r, c, s.tr(c).T("console.workspaces.title"), "", nil); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "workspaces", p)
}
