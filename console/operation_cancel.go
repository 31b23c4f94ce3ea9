package console

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
)

// cancelOperation cancels a queued or running run and its queue job; a run
// that has ended is left as it is, and the page says so.
func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.operator == nil {
		return errNotFound
	}
	return s.operatorAction(w, r, c, g, s.operator.Cancel, func(_ string, out *operator.Outcome) *flash {
		return changedOr(out, "console.flash.cancelled", "console.flash.already_completed")
	})
}
