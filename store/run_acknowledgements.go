package store

import (
	"context"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

// RunAcknowledgement is an operator's note that a failed or blocked run has
// been seen to; the run leaves the attention counts.
type RunAcknowledgement struct {
	RunID       int64
	WorkspaceID int64
	Actor       string
	Note        string
	CreatedAt   time.Time
}

// InsertRunAcknowledgement records an acknowledgement unless the run has
// one; created says whether this call recorded it.
func (tx *Tx) InsertRunAcknowledgement(ctx context.Context, a *RunAcknowledgement) (created bool, err error) {
	n, err := tx.exec(ctx, `INSERT INTO run_acknowledgements (operation_run_id, workspace_id, actor, note, created_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operation_run_id) DO NOTHING`,
		a.RunID, a.WorkspaceID, a.Actor, a.Note, tx.now)
	if err != nil {
		return false, fmt.Errorf("store: acknowledge run %d: %w", a.RunID, err)
	}
	if n == 1 {
		a.CreatedAt = tx.now
	}
	return n == 1, nil
}

// RunAcknowledgementOf returns a run's acknowledgement; ErrNotFound when it
// has none.
func (tx *Tx) RunAcknowledgementOf(ctx context.Context, workspaceID, runID int64) (*RunAcknowledgement, error) {
	var a RunAcknowledgement
	err := tx.queryRow(ctx, `SELECT operation_run_id, workspace_id, actor, note, created_at FROM run_acknowledgements
WHERE workspace_id = $1 AND operation_run_id = $2`, workspaceID, runID).
		Scan(&a.RunID, &a.WorkspaceID, &a.Actor, &a.Note, scanTime(&a.CreatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	return &a, nil
}

// unresolvedRun is the condition, on operation_runs aliased r, of a failed or
// blocked run nobody has dealt with: not acknowledged, and no later run of
// its type and scope succeeded. Both reads ride on primary keys and the
// environment_newest index.
const unresolvedRun = `NOT EXISTS (SELECT 1 FROM run_acknowledgements a WHERE a.operation_run_id = r.id)
	AND NOT EXISTS (SELECT 1 FROM operation_runs s WHERE s.workspace_id = r.workspace_id
		AND s.environment_id = r.environment_id AND s.id > r.id AND s.type = r.type AND s.outcome = 'succeeded')`

// SetRunContext writes a run's context alone. The ledger uses it for the
// retry links, the one part of a completed run that may still change: a run
// learns later that it was retried.
func (tx *Tx) SetRunContext(ctx context.Context, runID int64, c reckon.RunContext) error {
	runCtx, err := marshal(c)
	if err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE operation_runs SET context = $2 WHERE id = $1`, runID, runCtx)
	if err != nil {
		return fmt.Errorf("store: set run %d context: %w", runID, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
