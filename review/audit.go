package review

import (
	"context"
	"encoding/json"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// reviewAudit is what the audit trail records of a review's change.
type reviewAudit struct {
	Status        reckon.ReviewStatus `json:"status"`
	EnvironmentID int64               `json:"environment_id"`
	RunID         int64               `json:"run_id,omitempty"`
	PreviousRunID int64               `json:"previous_run_id,omitempty"`
	SupersededBy  int64               `json:"superseded_by_review_id,omitempty"`
}

func (s *Service) saveWithAudit(ctx context.Context, tx *store.Tx, v *reckon.Review, actor, action string) error {
	if err := tx.UpdateReview(ctx, v); err != nil {
		return err
	}
	return audit(ctx, tx, v, actor, action, reviewAudit{})
}

func audit(ctx context.Context, tx *store.Tx, v *reckon.Review, actor, action string, meta reviewAudit) error {
	meta.Status, meta.EnvironmentID = v.Status, v.EnvironmentID
	if meta.RunID == 0 {
		meta.RunID = v.OperationRunID
	}
	if meta.SupersededBy == 0 {
		meta.SupersededBy = v.SupersededByReviewID
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &store.AuditEvent{WorkspaceID: v.WorkspaceID, Actor: actor, Action: action,
		SubjectType: "environment_review", SubjectID: v.ID, Metadata: b})
}
