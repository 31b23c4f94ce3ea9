package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

type reviewPage struct {
	*layout
	Card         *reviewCard
	Environment  link
	Composed     bool
	Severities   []severityRow
	Statuses     []countItem
	FailingCount string
	Groups       []controlGroup
	Annotations  []countItem
	Incorrect    []controlRow
	Changes      []changeSection
	Baseline     *timeView
	// Earlier is the environment's review before this one when there is
	// nothing to compare with; nil for the environment's first review.
	Earlier      *link
	Supersedes   []link
	SupersededBy *link
	Facts        []fact
	Actions      []*action
	// Report is the review's report for the customer (review_report.go).
	Report string
}

type severityRow struct {
	Severity badge
	Controls string
	Failing  string
}

type countItem struct {
	Label string
	Count string
}

type controlGroup struct {
	Product  string
	Controls []controlRow
}

type controlRow struct {
	ID       string
	Title    string
	Group    string
	Severity badge
	Status   string
	Previous string
	// PreviousID and Note: see review_content.go.
	PreviousID string
	Note       *annotationNote
}

type changeSection struct {
	ID       string
	Title    string
	Count    string
	Controls []controlRow
	Empty    string
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	v := c.Review
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	var (
		env        *reckon.Environment
		snap       *reckon.Snapshot
		supersedes []*reckon.Review
		stale      map[int64]bool
		earlier    *reckon.Review
		takeovers  []review.Takeover
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if env, err = tx.Environment(ctx, g.Workspace.ID, v.EnvironmentID); err != nil {
			return err
		}
		if snap, err = tx.Snapshot(ctx, g.Workspace.ID, v.EvidenceSnapshotID); err != nil {
			return err
		}
		if supersedes, err = tx.ReviewsSupersededBy(ctx, g.Workspace.ID, v.ID); err != nil {
			return err
		}
		// Only the environment's first review may say so: a review on the
		// same evidence as an earlier one has nothing to compare either.
		if earlier, err = tx.EarlierReview(ctx, g.Workspace.ID, v.EnvironmentID, v.ID); err != nil && !store.IsNotFound(err) {
			return err
		}
		if takeovers, err = review.Takeovers(ctx, tx, g.Workspace.ID, v.ID); err != nil {
			return err
		}
		stale, err = tx.StaleReviews(ctx, g.Workspace.ID, []int64{v.ID})
		return err
	})
	if err != nil {
		return err
	}
	p := &reviewPage{Card: s.reviewCard(t, slug, v), Environment: link{Text: env.Name, Href: environmentPath(slug, env.ID)}}
	p.Card.Stale = stale[v.ID]
	if earlier != nil {
		p.Earlier = &link{Text: reviewTitle(t, earlier.ID), Href: reviewPath(slug, earlier.ID)}
	}
	if content := reviewContent(v); content != nil {
		p.Composed = true
		s.describeContent(t, p, content)
	}
	for _, old := range supersedes {
		p.Supersedes = append(p.Supersedes, link{Text: reviewTitle(t, old.ID), Href: reviewPath(slug, old.ID)})
	}
	if id := v.SupersededByReviewID; id != 0 {
		p.SupersededBy = &link{Text: reviewTitle(t, id), Href: reviewPath(slug, id)}
	}

	add := func(f fact) { p.Facts = append(p.Facts, f) }
	add(fact{Label: t.T("console.review.evidence"), Text: idText(snap.ID), Time: t.Time(snap.CapturedAt)})
	add(fact{Label: t.T("console.review.findings"), Text: t.Num(int64(snap.FindingCount))})
	if snap.Source.Format != "" {
		add(fact{Label: t.T("console.review.format"), Code: snap.Source.Format})
	}
	if snap.Source.ToolVersion != "" {
		add(fact{Label: t.T("console.review.tool_version"), Code: snap.Source.ToolVersion})
	}
	add(fact{Label: t.T("console.diag.fingerprint"), Code: v.Fingerprint})
	if v.OperationRunID != 0 {
		add(fact{Label: t.T("console.review.operation"), Links: []link{{Text: idText(v.OperationRunID), Href: operationPath(slug, v.OperationRunID)}}})
	}
	var left []int64
	for _, to := range takeovers {
		if to.PreviousRunID != 0 {
			left = append(left, to.PreviousRunID)
		}
	}
	if len(left) > 0 {
		add(fact{Label: t.T("console.review.draft_left_by"), Links: linker{}.links(left, func(id int64) string { return operationPath(slug, id) })})
	}
	add(fact{Label: t.T("console.diag.created"), Time: t.Time(v.CreatedAt)})
	if v.ComposedAt != nil {
		add(fact{Label: t.T("console.review.composed_at"), Time: t.Time(*v.ComposedAt)})
	}
	if v.PublishedAt != nil {
		add(fact{Label: t.T("console.review.published_at"), Time: t.Time(*v.PublishedAt)})
	}
	if v.ArchivedAt != nil {
		add(fact{Label: t.T("console.review.archived_at"), Time: t.Time(*v.ArchivedAt)})
	}

	base := reviewPath(slug, v.ID)
	p.Report = base + "/report"
	if g.Can(access.Refresh) {
		p.Actions = append(p.Actions, &action{Label: t.T("console.action.refresh"), Href: base + "/refresh", Post: true})
	}
	if g.Can(access.Publish) && v.Status.CanTransition(reckon.ReviewPublished) {
		p.Actions = append(p.Actions, &action{Label: t.T("console.action.publish"), Href: base + "/publish", Post: true})
	}
	if g.Can(access.Archive) && v.Status.CanTransition(reckon.ReviewArchived) {
		p.Actions = append(p.Actions, &action{Label: t.T("console.action.archive"), Href: base + "/archive", Post: true})
	}
	if p.layout, err = s.page(ctx, r, c, p.Card.Title, "reviews", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "review", p)
}

// describeContent lays a review's content out for reading at a glance.
func (s *Server) describeContent(t tr, p *reviewPage, c *review.Content) {
	failing := c.FailingBySeverity()
	for _, sev := range reckon.Severities {
		p.Severities = append(p.Severities, severityRow{Severity: severityBadge(t, sev),
			Controls: t.Num(int64(c.BySeverity.Of(sev))), Failing: t.Num(int64(failing.Of(sev)))})
	}
	for _, st := range reckon.FindingStatuses {
		p.Statuses = append(p.Statuses, countItem{Label: label(t, findingKeys, st), Count: t.Num(int64(c.ByStatus.Of(st)))})
	}
	p.FailingCount = t.Num(int64(len(c.Failing)))
	p.Groups = groupByProduct(t, c.Failing)
	p.Annotations = annotationCounts(t, c.Annotations)
	for _, ctl := range c.IncorrectResults {
		p.Incorrect = append(p.Incorrect, controlRowOf(t, ctl))
	}
	if ch := c.Changes; ch != nil {
		p.Baseline = t.Time(ch.Baseline.CapturedAt)
		sections := []struct {
			id, title, empty string
			list             []review.ControlSummary
		}{
			{"newly-failing", "console.review.newly_failing", "console.review.none_newly_failing", ch.NewlyFailing},
			{"resolved", "console.review.resolved", "console.review.none_resolved", ch.Resolved},
			{"added", "console.review.added", "console.review.none_added", ch.Added},
			{"removed", "console.review.removed", "console.review.none_removed", ch.Removed},
		}
		sections = append(sections, versionSections(ch)...)
		for _, sec := range sections {
			cs := changeSection{ID: sec.id, Title: t.T(sec.title), Count: t.Num(int64(len(sec.list))), Empty: t.T(sec.empty)}
			for _, ctl := range sec.list {
				cs.Controls = append(cs.Controls, controlRowOf(t, ctl))
			}
			p.Changes = append(p.Changes, cs)
		}
	}
}

func controlRowOf(t tr, c review.ControlSummary) controlRow {
	row := controlRow{ID: c.ControlID, Title: c.Title, Group: c.Group, Severity: severityBadge(t, c.Severity),
		Status: label(t, findingKeys, c.Status), PreviousID: c.PreviousID, Note: noteOf(t, c)}
	if c.Previous != "" {
		row.Previous = label(t, findingKeys, c.Previous)
	}
	return row
}

// groupByProduct groups failing controls by the product an assessment tool
// files them under (review.ByProduct); controls without a product come last.
func groupByProduct(t tr, list []review.ControlSummary) []controlGroup {
	var groups []controlGroup
	for _, g := range review.ByProduct(list) {
		cg := controlGroup{Product: g.Product}
		if cg.Product == "" {
			cg.Product = t.T("console.review.other_controls")
		}
		for _, c := range g.Controls {
			cg.Controls = append(cg.Controls, controlRowOf(t, c))
		}
		groups = append(groups, cg)
	}
	return groups
}
