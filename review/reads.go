package review

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Review returns a review of a workspace with its content.
func (s *Service) Review(ctx context.Context, workspaceID, id int64) (v *reckon.Review, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.Review(ctx, workspaceID, id)
		return scoped(err, "review.error.not_found")
	})
	return v, err
}

// LatestReview returns the newest review of an environment, whatever its
// status, with its content; CodeNotFound when it has none.
func (s *Service) LatestReview(ctx context.Context, scope reckon.Scope) (v *reckon.Review, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.LatestReview(ctx, scope)
		return scoped(err, "review.error.not_found")
	})
	return v, err
}

// ReviewFilter narrows a list of reviews.
type ReviewFilter struct {
	EnvironmentID int64 // 0 for every environment
	// Environments, when not empty, limits the list to these environments
	// (a member's entitlements).
	Environments []int64
	Status       reckon.ReviewStatus // "" for every status
	reckon.Page
}

// Reviews lists a workspace's reviews newest first, without content. next
// is 0 on the last page. An unknown status is a CodeValidation error.
func (s *Service) Reviews(ctx context.Context, workspaceID int64, f ReviewFilter) (list []*reckon.Review, next int64, err error) {
	if f.Status != "" && !f.Status.Valid() {
		v := reckon.ValidationErrors{}
		v.Add("status", "review.field.invalid_choice", "choices", "draft, ready, published, archived, failed, superseded")
		return nil, 0, v.Err()
	}
	limit := f.Size()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		list, err = tx.Reviews(ctx, workspaceID, store.ReviewFilter{EnvironmentID: f.EnvironmentID, Environments: f.Environments, Status: f.Status,
			Limit: limit + 1, Cursor: f.Cursor})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	list, next = reckon.CutPage(list, limit, func(v *reckon.Review) int64 { return v.ID })
	return list, next, nil
}
