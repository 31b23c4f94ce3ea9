package store

import (
	"context"
	"fmt"
)

// FailedRestoreItem is a failed item of a restore as a run's page shows it:
// its key and the safe code of its failure, never its payload.
type FailedRestoreItem struct {
	Key       string
	ErrorCode string
}

// FailedRestoreItems returns up to limit failed items, by key, of the
// restore an operation run of the workspace executed.
func (tx *Tx) FailedRestoreItems(ctx context.Context, workspaceID, runID int64, limit int) ([]FailedRestoreItem, error) {
	r, err := tx.query(ctx, `SELECT i.item_key, COALESCE(i.error_code, '') FROM restore_items i
JOIN restore_runs rr ON rr.id = i.restore_run_id
WHERE rr.workspace_id = $1 AND rr.operation_run_id = $2 AND i.status = 'failed'
ORDER BY i.item_key LIMIT $3`, workspaceID, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed restore items: %w", err)
	}
	return collect(r, func(r rows) (FailedRestoreItem, error) {
		var it FailedRestoreItem
		err := r.Scan(&it.Key, &it.ErrorCode)
		return it, err
	})
}
