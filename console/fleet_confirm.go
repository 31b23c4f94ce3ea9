package console

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type fleetConfirmPage struct {
	*layout
	Heading string
	Lead    string
	Names   []string
	Button  string
	Action  string
	Back    string
}

// confirmFleetCompose asks before composing every stale review: it says how
// many environments that is, and names them.
func (s *Server) confirmFleetCompose(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.reviews == nil {
		return errNotFound
	}
	if err := g.Require(access.Compose); err != nil {
		return err
	}
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	var stale []string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		stale = nil // afresh when the transaction runs again
		envs, err := tx.FleetPlaces(ctx, store.FleetScope{WorkspaceID: g.Workspace.ID, Restricted: g.Restricted(), Environments: g.Environments}, false)
		for _, e := range envs {
			if e.Stale {
				stale = append(stale, e.Name)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	n := int64(len(stale))
	p := &fleetConfirmPage{Heading: t.T("console.fleet.confirm.title"), Names: stale, Action: fleetPath(slug) + "/compose", Back: fleetPath(slug)}
	if n == 0 {
		p.Lead = t.T("console.fleet.confirm.none")
	} else {
		p.Lead = t.T("console.fleet.confirm.lead", "n", n)
		p.Button = t.T("console.fleet.confirm.button", "n", n)
	}
	if p.layout, err = s.page(ctx, r, c, p.Heading, "fleet", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "fleet_confirm", p)
}
