package console

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
)

// transitionReview moves a review on in its lifecycle — publish, archive —
// for those whose role allows the action, and goes back to the review with
// the message done. A transition the review cannot take is explained there.
func (s *Server) transitionReview(move func(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error), done string) workspaceHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
		v := c.Review
		back := reviewPath(g.Workspace.Slug, v.ID)
		if _, err := move(r.Context(), g.Workspace.ID, v.ID, c.User.ID); err != nil {
			return s.formError(w, r, c, back, err)
		}
		return s.redirectWithFlash(w, r, c, back, &flash{Level: levelSuccess, Message: reckon.Msg(done)})
	}
}
