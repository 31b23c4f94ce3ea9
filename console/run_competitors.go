package console

import (
	"context"
	"slices"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// competitor is a review an ambiguity is between, with its evidence and
// score.
type competitor struct {
	review   *reckon.Review
	snapshot *reckon.Snapshot
	score    *int
}

// loadCompetitors reads the reviews an ambiguous run is between: those of
// its fingerprint that are current now, and those its reconciliation
// considered (which a resolution may have archived or superseded since).
func loadCompetitors(ctx context.Context, tx *store.Tx, run *reckon.Run) ([]competitor, error) {
	candidates, err := tx.ReviewCandidates(ctx, run.Scope(), run.Context.Fingerprint, 0)
	if err != nil {
		return nil, err
	}
	considered := run.Context.Reconciliation.Evidence.ConsideredReviewIDs
	var (
		out []competitor
		ids []int64
	)
	for _, v := range candidates {
		if v.Fingerprint != run.Context.Fingerprint || !(v.Status.Available() || slices.Contains(considered, v.ID)) {
			continue
		}
		snap, err := tx.Snapshot(ctx, run.WorkspaceID, v.EvidenceSnapshotID)
		if err != nil {
			return nil, err
		}
		out = append(out, competitor{review: v, snapshot: snap})
		ids = append(ids, v.ID)
	}
	glances, err := tx.ReviewGlances(ctx, run.WorkspaceID, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].score = glances[out[i].review.ID].Score
	}
	return out, nil
}

// competitorCard is one competing review, side by side with the others.
type competitorCard struct {
	ID       int64
	Title    string
	Href     string
	Status   badge
	Facts    []fact
	Eligible bool // a current review, which may be kept
	Kept     bool
}

// competitorsView is an ambiguity's reviews and, for those who may settle
// it while it is open, the form that keeps one.
type competitorsView struct {
	Cards []competitorCard
	// Form posts the resolution; "" when there is nothing to resolve or
	// the caller may not.
	Form string
}

// competitorsOf lays out an ambiguity's reviews: status, evidence and its
// capture time, composed at, score, author. form is the resolution's
// route, "" for none.
func competitorsOf(t tr, list []competitor, kept int64, names map[int64]string, l linker, form string) *competitorsView {
	v := &competitorsView{Form: form}
	for _, c := range list {
		r := c.review
		card := competitorCard{ID: r.ID, Title: reviewTitle(t, r.ID), Status: reviewBadge(t, r.Status),
			Eligible: r.Status.Available(), Kept: r.ID == kept}
		if l.review != nil {
			card.Href = l.review(r.ID)
		}
		add := func(f fact) { card.Facts = append(card.Facts, f) }
		add(fact{Label: t.T("console.review.evidence"), Text: idText(r.EvidenceSnapshotID), Time: t.Time(c.snapshot.CapturedAt)})
		add(fact{Label: t.T("console.review.composed_at"), Time: t.TimePtr(r.ComposedAt)})
		score := "—"
		if c.score != nil {
			score = t.Num(int64(*c.score))
		}
		add(fact{Label: t.T("console.competitors.score"), Text: score})
		author := t.T("console.diag.system")
		if name, ok := names[r.CreatedBy]; ok {
			author = name
		}
		add(fact{Label: t.T("console.competitors.created_by"), Text: author})
		v.Cards = append(v.Cards, card)
	}
	if !slices.ContainsFunc(v.Cards, func(c competitorCard) bool { return c.Eligible }) {
		v.Form = ""
	}
	return v
}
