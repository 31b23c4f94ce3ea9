package console

import (
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/review"
)

// retryOperation retries a failed, blocked or cancelled run; a restore's
// retry needs the role that may restore. The run's page says what
// happened, with the link that follows it.
func (s *Server) retryOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if err := g.Require(operator.RetryAction(c.Run)); err != nil {
		return err
	}
	if s.operator == nil {
		return errNotFound
	}
	return s.operatorAction(w, r, c, g, s.operator.Retry, retryFlash)
}

// retryFlash says what a retry did: the new run, or for a compose run the
// compose result (queued, already running, up to date) with the run or the
// review; or that the run had been retried already.
func retryFlash(slug string, out *operator.Outcome) *flash {
	f := &flash{Level: levelSuccess}
	if out.Retry != nil {
		f.Link = &flashLink{Label: "console.action.open_operation", Href: operationPath(slug, out.Retry.ID)}
	}
	switch {
	case !out.Changed && out.Retry != nil:
		f.Level, f.Message = levelInfo, reckon.Msg("console.flash.retried_already", "run", idText(out.Retry.ID))
	case out.Compose == review.ResultUpToDate && out.Review != nil:
		f.Level, f.Message = levelInfo, reckon.Msg("console.flash.retry_up_to_date")
		f.Link = &flashLink{Label: "console.action.view_review", Href: reviewPath(slug, out.Review.ID)}
	case out.Compose == review.ResultAlreadyRunning:
		f.Level, f.Message = levelInfo, reckon.Msg("console.flash.retry_already_running", "run", idText(out.Retry.ID))
	case out.Compose == review.ResultQueued:
		f.Message = reckon.Msg("console.flash.retry_queued", "run", idText(out.Retry.ID))
	default:
		f.Message = reckon.Msg("console.flash.retried", "run", idText(out.Retry.ID))
	}
	return f
}
