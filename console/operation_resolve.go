package console

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/operator"
)

// resolveOperation settles a run blocked by an ambiguity with the review
// the manager chose to keep (published, when they asked and it is ready);
// the run's page says what happened and links the review kept.
func (s *Server) resolveOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.operator == nil {
		return errNotFound
	}
	keep, ok := validate.ID(r.PostFormValue("keep"))
	if !ok {
		return s.redirectWithFlash(w, r, c, operationPath(g.Workspace.Slug, c.Run.ID),
			&flash{Level: levelError, Message: reckon.Msg("console.flash.resolve_choose")})
	}
	publish := r.PostFormValue("publish") != ""
	resolve := func(ctx context.Context, workspaceID, runID int64, by operator.Actor, note string) (*operator.Outcome, error) {
		return s.operator.Resolve(ctx, workspaceID, runID, by, operator.ResolveParams{KeepReviewID: keep, Publish: publish, Note: note})
	}
	return s.operatorAction(w, r, c, g, resolve, resolveFlash)
}

// resolveFlash says which review was kept and which run records it, or
// that the ambiguity had been resolved so already.
func resolveFlash(slug string, out *operator.Outcome) *flash {
	f := &flash{Level: levelSuccess, Message: reckon.Msg("console.flash.resolved", "review", idText(out.Review.ID),
		"status", reckon.Msg(reviewStatusKeys[out.Review.Status]), "run", idText(out.Retry.ID)),
		Link: &flashLink{Label: "console.action.view_review", Href: reviewPath(slug, out.Review.ID)}}
	if !out.Changed {
		f.Level, f.Message = levelInfo, reckon.Msg("console.flash.resolved_already", "review", idText(out.Review.ID))
	}
	return f
}
