package api

import (
	"context"

	"github.com/reckonhq/reckon/store"
)

// markStale sets the stale flag of reviews of a workspace in one query: a
// review is stale when its environment holds newer evidence than its own.
func (s *Server) markStale(ctx context.Context, workspaceID int64, views ...*reviewJSON) error {
	ids := make([]int64, 0, len(views))
	for _, v := range views {
		if v != nil {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var stale map[int64]bool
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		stale, err = tx.StaleReviews(ctx, workspaceID, ids)
		return err
	})
	for _, v := range views {
		if v != nil {
			v.Stale = stale[v.ID]
		}
	}
	return err
}
