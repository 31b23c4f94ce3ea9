package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

const restoreColumns = `id, workspace_id, environment_id, operation_run_id, backup_ref, status,
	items_total, items_succeeded, items_failed, created_at, started_at, completed_at, updated_at`

func scanRestore(r scanner) (*reckon.RestoreRun, error) {
	var rr reckon.RestoreRun
	err := r.Scan(&rr.ID, &rr.WorkspaceID, &rr.EnvironmentID, &rr.OperationRunID, &rr.BackupRef, &rr.Status,
		&rr.ItemsTotal, &rr.ItemsSucceeded, &rr.ItemsFailed, scanTime(&rr.CreatedAt), scanNullTime(&rr.StartedAt),
		scanNullTime(&rr.CompletedAt), scanTime(&rr.UpdatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	return &rr, nil
}

// InsertRestore inserts a pending restore with its items, all pending. It
// sets the ids and times on rr and items.
func (tx *Tx) InsertRestore(ctx context.Context, rr *reckon.RestoreRun, items []*reckon.RestoreItem) error {
	rr.Status = reckon.RestorePending
	rr.ItemsTotal = len(items)
	rr.CreatedAt, rr.UpdatedAt = tx.now, tx.now
	err := tx.queryRow(ctx, `INSERT INTO restore_runs (workspace_id, environment_id, operation_run_id, backup_ref,
	status, items_total, items_succeeded, items_failed, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'pending', $5, 0, 0, $6, $6) RETURNING id`,
		rr.WorkspaceID, rr.EnvironmentID, rr.OperationRunID, rr.BackupRef, rr.ItemsTotal, tx.now).Scan(&rr.ID)
	if err != nil {
		return fmt.Errorf("store: insert restore: %w", err)
	}
	for _, it := range items {
		it.RestoreRunID = rr.ID
		it.Status = reckon.RestoreItemPending
		err := tx.queryRow(ctx, `INSERT INTO restore_items (restore_run_id, item_key, payload, status)
VALUES ($1, $2, $3, 'pending') RETURNING id`, rr.ID, it.Key, string(it.Payload)).Scan(&it.ID)
		if err != nil {
			return fmt.Errorf("store: insert restore item: %w", err)
		}
	}
	return nil
}

// RestoreByRun returns the restore executed by an operation run, only when it
// lies in the given scope: rows of another workspace or environment answer
// ErrNotFound, so they can never serve as proof.
func (tx *Tx) RestoreByRun(ctx context.Context, scope reckon.Scope, runID int64) (*reckon.RestoreRun, error) {
	return scanRestore(tx.queryRow(ctx, `SELECT `+restoreColumns+` FROM restore_runs
WHERE operation_run_id = $1 AND workspace_id = $2 AND environment_id = $3`,
		runID, scope.WorkspaceID, scope.EnvironmentID))
}

// Restore returns a restore of a workspace by id.
func (tx *Tx) Restore(ctx context.Context, workspaceID, id int64) (*reckon.RestoreRun, error) {
	return scanRestore(tx.queryRow(ctx, `SELECT `+restoreColumns+` FROM restore_runs WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id))
}

// StartRestore moves a pending restore to running; a restore that is
// already running or finished is left as it is.
func (tx *Tx) StartRestore(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE restore_runs SET status = 'running', started_at = $2, updated_at = $2
WHERE id = $1 AND status = 'pending'`, id, tx.now)
	if err != nil {
		return fmt.Errorf("store: start restore %d: %w", id, err)
	}
	return nil
}

// LockRestore returns a restore by id and locks its row until the
// transaction ends. SQLite transactions already hold the database's write lock.
func (tx *Tx) LockRestore(ctx context.Context, id int64) (*reckon.RestoreRun, error) {
	q := `SELECT ` + restoreColumns + ` FROM restore_runs WHERE id = $1`
	if tx.engine == Postgres {
		q += ` FOR UPDATE`
	}
	return scanRestore(tx.queryRow(ctx, q, id))
}

// CountRestoreItems counts a restore's applied and failed items.
func (tx *Tx) CountRestoreItems(ctx context.Context, restoreID int64) (applied, failed int, err error) {
	err = tx.queryRow(ctx, `SELECT
	COALESCE(SUM(CASE WHEN status = 'applied' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
FROM restore_items WHERE restore_run_id = $1`, restoreID).Scan(&applied, &failed)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count restore items %d: %w", restoreID, err)
	}
	return applied, failed, nil
}

// FinishRestore records a restore's final status and counts.
func (tx *Tx) FinishRestore(ctx context.Context, rr *reckon.RestoreRun) error {
	now := tx.now
	rr.CompletedAt, rr.UpdatedAt = &now, now
	if rr.StartedAt == nil {
		rr.StartedAt = &now
	}
	_, err := tx.exec(ctx, `UPDATE restore_runs SET status = $2, items_succeeded = $3, items_failed = $4,
	started_at = $5, completed_at = $6, updated_at = $6 WHERE id = $1`,
		rr.ID, string(rr.Status), rr.ItemsSucceeded, rr.ItemsFailed, rr.StartedAt, now)
	if err != nil {
		return fmt.Errorf("store: finish restore %d: %w", rr.ID, err)
	}
	return nil
}

const restoreItemColumns = `id, restore_run_id, item_key, payload, status, error_code, applied_at`

func scanRestoreItem(r scanner) (*reckon.RestoreItem, error) {
	var it reckon.RestoreItem
	var payload []byte
	err := r.Scan(&it.ID, &it.RestoreRunID, &it.Key, scanJSON(&payload), &it.Status,
		scanNullString(&it.ErrorCode), scanNullTime(&it.AppliedAt))
	if err != nil {
		return nil, interpret(err)
	}
	it.Payload = payload
	return &it, nil
}

// RestoreItems returns a restore's items by key; with pendingOnly, only the
// items not yet applied or failed.
func (tx *Tx) RestoreItems(ctx context.Context, restoreID int64, pendingOnly bool) ([]*reckon.RestoreItem, error) {
	q := `SELECT ` + restoreItemColumns + ` FROM restore_items WHERE restore_run_id = $1`
	if pendingOnly {
		q += ` AND status = 'pending'`
	}
	r, err := tx.query(ctx, q+` ORDER BY item_key`, restoreID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.RestoreItem, error) { return scanRestoreItem(r) })
}

// RecordRestoreItem records the result of applying a pending item: applied,
// or failed with a safe error code. An item that already has a result keeps
// it, so a redelivered job cannot count an item twice; changed says whether
// this call recorded it.
func (tx *Tx) RecordRestoreItem(ctx context.Context, itemID int64, status reckon.RestoreItemStatus, errorCode string) (changed bool, err error) {
	var appliedAt any
	if status == reckon.RestoreItemApplied {
		appliedAt = tx.now
	}
	n, err := tx.exec(ctx, `UPDATE restore_items SET status = $2, error_code = $3, applied_at = $4
WHERE id = $1 AND status = 'pending'`, itemID, string(status), nullableString(errorCode), appliedAt)
	if err != nil {
		return false, fmt.Errorf("store: record restore item %d: %w", itemID, err)
	}
	return n == 1, nil
}
