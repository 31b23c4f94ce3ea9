package review

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Publish publishes a ready review and archives the environment's
// previously published one. From any other status it returns a
// CodeInvalidTransition error.
func (s *Service) Publish(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error) {
	return s.transition(ctx, workspaceID, reviewID, userID, reckon.ReviewPublished)
}

// Archive archives a published review. From any other status it returns a
// CodeInvalidTransition error.
func (s *Service) Archive(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error) {
	return s.transition(ctx, workspaceID, reviewID, userID, reckon.ReviewArchived)
}

func (s *Service) transition(ctx context.Context, workspaceID, reviewID, userID int64, to reckon.ReviewStatus) (v *reckon.Review, err error) {
	actor := "system"
	if userID != 0 {
		actor = fmt.Sprintf("user:%d", userID)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.Review(ctx, workspaceID, reviewID)
		if err != nil {
			return scoped(err, "review.error.not_found")
		}
		scope := reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID}
		// One publisher per environment at a time, so that two reviews are
		// never published together.
		if err := tx.LockEnvironment(ctx, scope); err != nil {
			return err
		}
		if v, err = tx.LockReview(ctx, workspaceID, reviewID); err != nil {
			return err
		}
		if !v.Status.CanTransition(to) {
			return reckon.Errorf(reckon.CodeInvalidTransition, "review.error.invalid_transition",
				"from", reckon.Msg("review.status."+string(v.Status)), "to", reckon.Msg("review.status."+string(to)))
		}
		now := tx.Now()
		if to == reckon.ReviewPublished {
			published, err := tx.PublishedReviews(ctx, scope)
			if err != nil {
				return err
			}
			for _, p := range published {
				p.Status, p.ArchivedAt = reckon.ReviewArchived, &now
				if err := s.saveWithAudit(ctx, tx, p, actor, "review.archived"); err != nil {
					return err
				}
			}
			v.PublishedAt = &now
		} else {
			v.ArchivedAt = &now
		}
		v.Status = to
		return s.saveWithAudit(ctx, tx, v, actor, "review."+string(to))
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}
