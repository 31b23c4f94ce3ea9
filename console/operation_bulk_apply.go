package console

import (
	"encoding/json"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
)

// applyBulk acts on every run the filter of the query matches, as the API's
// bulk route does: a small set at once, then the list with the counts
// (matched, changed, skipped); a large one as a bulk run, whose page shows
// its progress.
func (s *Server) applyBulk(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	req, err := s.bulkRequestOf(w, r, c, g, r.PostFormValue("action"))
	if req == nil {
		return err
	}
	action, back := req.action, req.back
	out, err := s.operator.Bulk(ctx, &operator.BulkParams{WorkspaceID: g.Workspace.ID, Action: action, Filter: req.filter,
		Note: r.PostFormValue("note"), By: operator.Actor{UserID: c.User.ID}, MayRestore: g.Can(access.Restore)})
	if err != nil {
		return s.formError(w, r, c, back, err)
	}
	keys := map[string]string{"action": bulkActionKeys[action]}
	if out.Run != nil {
		return s.redirectWithFlash(w, r, c, operationPath(slug, out.Run.ID), &flash{Level: levelInfo, Keys: keys,
			Message: reckon.Msg("console.flash.bulk_started", "run", idText(out.Run.ID))})
	}
	sum := out.Summary
	return s.redirectWithFlash(w, r, c, back, &flash{Level: levelSuccess, Keys: keys,
		Message: reckon.Msg("console.flash.bulk_done", "matched", t.Num(sum.Matched), "changed", t.Num(sum.Changed),
			"skipped", t.Num(sum.Skipped))})
}

// bulkFacts are what a bulk run's page says of it: its action and how far
// it has come through the runs its filter matched (its summary, written
// after every page of runs).
func bulkFacts(t tr, run *reckon.Run) []fact {
	req := run.Context.Bulk
	if run.Type != reckon.RunTypeBulk || req == nil {
		return nil
	}
	out := []fact{{Label: t.T("console.diag.bulk_action"), Text: label(t, bulkActionKeys, operator.BulkAction(req.Action))}}
	var sum operator.BulkSummary
	if len(run.Summary) > 0 && json.Unmarshal(run.Summary, &sum) == nil {
		out = append(out, fact{Label: t.T("console.diag.bulk_progress"), Text: t.T("console.diag.bulk_progress_text",
			"done", t.Num(sum.Done), "matched", t.Num(sum.Matched), "changed", t.Num(sum.Changed), "skipped", t.Num(sum.Skipped))})
	}
	if req.Note != "" {
		out = append(out, fact{Label: t.T("console.diag.bulk_note"), Text: req.Note})
	}
	return out
}
