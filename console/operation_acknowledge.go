package console

import (
	"net/http"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
)

// acknowledgeOperation records that a failed or blocked run has been seen
// to: it leaves the attention counts.
func (s *Server) acknowledgeOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.operator == nil {
		return errNotFound
	}
	return s.operatorAction(w, r, c, g, s.operator.Acknowledge, func(_ string, out *operator.Outcome) *flash {
		return changedOr(out, "console.flash.acknowledged", "console.flash.acknowledged_already")
	})
}
