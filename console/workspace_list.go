package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type workspacesPage struct {
	*layout
	Workspaces []*workspaceCard
}

type workspaceCard struct {
	Name   string
	Href   string
	Detail string // the member's role and how many environments they see
}

// roleKeys name the roles.
var roleKeys = map[reckon.Role]string{
	reckon.RoleOwner:    "console.role.owner",
	reckon.RoleManager:  "console.role.manager",
	reckon.RoleOperator: "console.role.operator",
	reckon.RoleReadonly: "console.role.readonly",
}

// listWorkspaces lists the caller's workspaces; a member of exactly one
// goes straight to it.
func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t := s.tr(c)
	p := &workspacesPage{}
	var list []*reckon.Workspace
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		p.Workspaces = nil // afresh when the transaction runs again
		if list, err = tx.WorkspacesOfUser(ctx, c.User.ID); err != nil {
			return err
		}
		for _, ws := range list {
			g, err := access.Authorize(ctx, tx, c.User, ws.Slug)
			if err != nil {
				return err
			}
			envs, err := g.VisibleEnvironments(ctx, tx)
			if err != nil {
				return err
			}
			key := "console.workspaces.role_environments.other"
			if len(envs) == 1 {
				key = "console.workspaces.role_environments.one"
			}
			p.Workspaces = append(p.Workspaces, &workspaceCard{Name: ws.Name, Href: workspacePath(ws.Slug),
				Detail: t.T(key, "role", label(t, roleKeys, g.Role), "n", len(envs))})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(list) == 1 && !c.User.IsPlatformSupport {
		http.Redirect(w, r, workspacePath(list[0].Slug), http.StatusSeeOther)
		return nil
	}
	if p.layout, err = s.page(ctx, r, c, t.T("console.workspaces.title"), "", nil); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "workspaces", p)
}
