package console

import (
	"errors"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
)

// composeReview composes the review of an environment's newest evidence
// and goes back to the dashboard, which shows what happened: queued,
// already running or up to date, each with its link.
func (s *Server) composeReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.reviews == nil {
		return errNotFound
	}
	ctx := r.Context()
	envID := c.Environment.ID
	back := environmentPath(g.Workspace.Slug, envID)
	res, err := s.reviews.Compose(ctx, g.Scope(envID), c.User.ID)
	if err != nil {
		return s.formError(w, r, c, back, err)
	}
	return s.redirectWithFlash(w, r, c, back, composeFlash(g.Workspace.Slug, res))
}

// composeFlash says what a compose or refresh did, with the link that
// follows it: the run while it is queued or running, else the review.
func composeFlash(slug string, res *review.ComposeResult) *flash {
	f := &flash{Level: levelSuccess, Message: res.Message()}
	switch {
	case res.Run != nil:
		f.Link = &flashLink{Label: "console.action.open_operation", Href: operationPath(slug, res.Run.ID)}
		if res.Run.Status.Active() {
			f.Run = res.Run.ID
		}
	case res.Review != nil:
		f.Level = levelInfo
		f.Link = &flashLink{Label: "console.action.view_review", Href: reviewPath(slug, res.Review.ID)}
	}
	if res.Result == review.ResultAlreadyRunning {
		f.Level = levelInfo
	}
	return f
}

// formError shows a refusal that the form's page can explain (no evidence,
// a transition the review cannot take) as a message on that page. Anything
// else — not found, forbidden, internal — answers its error page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, c *call, back string, err error) error {
	var e *reckon.Error
	if errors.As(err, &e) {
		switch e.Code {
		case reckon.CodeNoEvidence, reckon.CodeInvalidTransition, reckon.CodeConflict, reckon.CodeValidation:
			m := e.Message
			if len(e.Fields) == 1 { // a form's one invalid field says itself what is wrong
				for _, fm := range e.Fields {
					m = fm
				}
			}
			return s.redirectWithFlash(w, r, c, back, &flash{Level: levelError, Message: m})
		}
	}
	return err
}
