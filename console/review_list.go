package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

type reviewsPage struct {
	*layout
	Filter *filterForm
	Rows   []*reviewRow
	Pager  pager
}

type reviewRow struct {
	*reviewCard
	Environment string
	EnvHref     string
	Published   *timeView
	RunTitle    string
	RunHref     string
}

// reviewStatuses in lifecycle order, for the filter.
var reviewStatuses = []reckon.ReviewStatus{reckon.ReviewDraft, reckon.ReviewReady, reckon.ReviewPublished,
	reckon.ReviewArchived, reckon.ReviewFailed, reckon.ReviewSuperseded}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.reviews == nil {
		return errNotFound
	}
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	q := r.URL.Query()
	form := &filterForm{Action: reviewsPath(slug)}
	f := review.ReviewFilter{Page: reckon.Page{Limit: pageSize}}
	f.EnvironmentID = positiveID(q.Get("environment"), &form.Ignored)
	f.Cursor = positiveID(q.Get("before"), &form.Ignored)
	if v := reckon.ReviewStatus(q.Get("status")); v != "" {
		if v.Valid() {
			f.Status = v
		} else {
			form.Ignored = true
		}
	}
	form.Active = f.EnvironmentID != 0 || f.Status != ""

	envs, err := s.visibleEnvironments(ctx, g)
	if err != nil {
		return err
	}
	form.addEnvironments(t, f.EnvironmentID, []optionGroupSource{{environments: envs}})
	statuses := []option{{Label: t.T("console.filter.any_status")}}
	for _, st := range reviewStatuses {
		statuses = append(statuses, option{Value: string(st), Label: label(t, reviewStatusKeys, st), Selected: st == f.Status})
	}
	form.add("filter-status", "status", t.T("console.filter.status"), statuses)

	var (
		list []*reckon.Review
		next int64
	)
	// An environment the member may not see lists nothing, like one that
	// does not exist; a restricted member's list keeps their environments.
	if f.EnvironmentID == 0 || g.Sees(f.EnvironmentID) {
		f.Environments = g.Environments
		if list, next, err = s.reviews.Reviews(ctx, g.Workspace.ID, f); err != nil {
			return err
		}
	}
	ids := make([]int64, len(list))
	for i, v := range list {
		ids[i] = v.ID
	}
	var (
		glances map[int64]store.ReviewGlance
		stale   map[int64]bool
	)
	err = s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if glances, err = tx.ReviewGlances(ctx, g.Workspace.ID, ids); err != nil {
			return err
		}
		stale, err = tx.StaleReviews(ctx, g.Workspace.ID, ids)
		return err
	})
	if err != nil {
		return err
	}
	byID := environmentsByID(envs)
	p := &reviewsPage{Filter: form, Pager: pagerLinks(form.Action, q, next)}
	for _, v := range list {
		row := &reviewRow{reviewCard: s.reviewCard(t, slug, v), Published: t.TimePtr(v.PublishedAt)}
		row.Stale = stale[v.ID]
		if gl, ok := glances[v.ID]; ok {
			row.Score, row.Failing = scoreText(t, gl.Score), t.Num(int64(gl.Failing))
		}
		if e, ok := byID[v.EnvironmentID]; ok {
			row.Environment, row.EnvHref = e.Name, environmentPath(slug, e.ID)
		}
		if v.OperationRunID != 0 {
			row.RunTitle, row.RunHref = idText(v.OperationRunID), operationPath(slug, v.OperationRunID)
		}
		p.Rows = append(p.Rows, row)
	}
	if p.layout, err = s.page(ctx, r, c, t.T("console.reviews.title"), "reviews", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "reviews", p)
}
