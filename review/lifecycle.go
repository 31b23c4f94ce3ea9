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
		if to == reckon.ReviewPublished {
			return s.publishTx(ctx, tx, v, actor)
		}
		return s.archiveTx(ctx, tx, v, actor)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// publishTx publishes a locked, ready review and archives the environment's
// previously published ones, each change audited. The caller holds the
// environment's lock.
func (s *Service) publishTx(ctx context.Context, tx *store.Tx, v *reckon.Review, actor string) error {
	published, err := tx.PublishedReviews(ctx, reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID})
	if err != nil {
		return err
	}
	for _, p := range published {
		if err := s.archiveTx(ctx, tx, p, actor); err != nil {
			return err
		}
	}
	now := tx.Now()
	v.Status, v.PublishedAt = reckon.ReviewPublished, &now
	return s.saveWithAudit(ctx, tx, v, actor, "review.published")
}

// archiveTx archives a published review, audited.
func (s *Service) archiveTx(ctx context.Context, tx *store.Tx, v *reckon.Review, actor string) error {
	now := tx.Now()
	v.Status, v.ArchivedAt = reckon.ReviewArchived, &now
	return s.saveWithAudit(ctx, tx, v, actor, "review.archived")
}
