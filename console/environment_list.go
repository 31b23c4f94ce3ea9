package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type environmentsPage struct {
	*layout
	Rows []*environmentRow
}

type environmentRow struct {
	Name      string
	Slug      string
	Href      string
	Latest    *reviewCard
	Attention string
	Tone      string
	Evidence  *timeView
}

// staleAgainst marks a card stale when the environment's newest snapshot
// is not the one its review was built from (what store.StaleReviews asks).
func staleAgainst(card *reviewCard, v *reckon.Review, newest *reckon.Snapshot) {
	if card != nil && v != nil && newest != nil {
		card.Stale = newest.ID != v.EvidenceSnapshotID
	}
}

// listEnvironments is a workspace's front page: the environments the
// member sees, each with its latest review and what needs attention.
func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	p := &environmentsPage{}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		p.Rows = nil // afresh when the transaction runs again
		envs, err := g.VisibleEnvironments(ctx, tx)
		if err != nil {
			return err
		}
		for _, e := range envs {
			row := &environmentRow{Name: e.Name, Slug: e.Slug, Href: environmentPath(slug, e.ID)}
			scope := g.Scope(e.ID)
			v, err := tx.LatestReview(ctx, scope)
			switch {
			case err == nil:
				row.Latest = s.reviewCard(t, slug, v)
			case !store.IsNotFound(err):
				return err
			}
			snap, err := tx.LatestSnapshot(ctx, scope)
			switch {
			case err == nil:
				row.Evidence = t.Time(snap.CapturedAt)
				staleAgainst(row.Latest, v, snap)
			case !store.IsNotFound(err):
				return err
			}
			a, err := tx.RunAttentionOf(ctx, scope, t.now)
			if err != nil {
				return err
			}
			row.Attention, row.Tone = t.Num(a.Total()), toneIf(a.Total(), "warn")
			p.Rows = append(p.Rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if p.layout, err = s.page(ctx, r, c, g.Workspace.Name, "environments", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "environments", p)
}
