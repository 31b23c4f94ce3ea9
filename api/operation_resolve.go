package api

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
)

type resolveBody struct {
	KeepReviewID int64  `json:"keep_review_id"`
	Publish      bool   `json:"publish"`
	Note         string `json:"note"`
}

// resolveOperation settles a run blocked by an ambiguity: the review kept
// stays (published when asked), the others leave the current reviews, and
// a new run linked as the retry records the truth. Managers and up.
func (s *Server) resolveOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	var body resolveBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.KeepReviewID <= 0 {
		return fieldError("keep_review_id", "api.param_id")
	}
	out, err := s.operator.Resolve(r.Context(), g.Workspace.ID, c.Run.ID, operator.Actor{UserID: c.User.ID},
		operator.ResolveParams{KeepReviewID: body.KeepReviewID, Publish: body.Publish, Note: body.Note})
	if err != nil {
		return err
	}
	s.writeAction(w, c, g, out)
	return nil
}
