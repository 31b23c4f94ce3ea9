package restore

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// ReasonNothingToRetry: every item of the restore was applied, so a retry
// would apply nothing.
const ReasonNothingToRetry = "restore.nothing_to_retry"

// RetryTx starts, in the caller's transaction, a new restore of the items a
// restore run did not apply: its failed items and those it never reached,
// from the same backup. Applied items are never applied twice — a provider
// need not be idempotent — so a retry is always safe to run. A run whose
// items were all applied has nothing to retry (CodeInvalidTransition).
func (s *Service) RetryTx(ctx context.Context, tx *store.Tx, run *reckon.Run, initiatorUserID int64) (*Started, error) {
	rr, err := tx.RestoreByRun(ctx, run.Scope(), run.ID)
	if store.IsNotFound(err) {
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, ReasonNothingToRetry)
	}
	if err != nil {
		return nil, err
	}
	all, err := tx.RestoreItems(ctx, rr.ID, false)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, it := range all {
		if it.Status != reckon.RestoreItemApplied {
			items = append(items, Item{Key: it.Key, Payload: it.Payload})
		}
	}
	if len(items) == 0 {
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, ReasonNothingToRetry)
	}
	return s.start(ctx, tx, run.Scope(), rr.BackupRef, items, initiatorUserID)
}
