package review

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// ComposeTx is Compose inside the caller's transaction, for an action that
// composes and records more in one commit (an operator's retry).
func (s *Service) ComposeTx(ctx context.Context, tx *store.Tx, scope reckon.Scope, initiatorUserID int64) (*ComposeResult, error) {
	if _, err := tx.Environment(ctx, scope.WorkspaceID, scope.EnvironmentID); err != nil {
		return nil, scoped(err, "review.error.environment_not_found")
	}
	return s.compose(ctx, tx, scope, initiatorUserID)
}
