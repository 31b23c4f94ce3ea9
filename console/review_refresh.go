package console

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
)

// refreshReview composes the review of the newest evidence of a review's
// environment and goes back to the page the form was on.
func (s *Server) refreshReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	v := c.Review
	slug := g.Workspace.Slug
	back := localPath(r.PostFormValue("return"), reviewPath(slug, v.ID))
	res, err := s.reviews.Refresh(r.Context(), g.Workspace.ID, v.ID, c.User.ID)
	if err != nil {
		return s.formError(w, r, c, back, err)
	}
	return s.redirectWithFlash(w, r, c, back, composeFlash(slug, res))
}
