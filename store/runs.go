package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

const runColumns = `id, workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, summary, failure, job_id, attempts, deadline_at,
	created_at, started_at, completed_at, updated_at`

func scanRun(r scanner) (*reckon.Run, error) {
	var (
		run                    reckon.Run
		ctxJSON, failJSON, sum []byte
	)
	err := r.Scan(&run.ID, &run.WorkspaceID, scanNullID(&run.EnvironmentID), &run.Type, &run.IdentityHash,
		&run.Status, &run.Outcome, scanNullID(&run.InitiatorUserID), scanJSON(&ctxJSON), scanJSON(&sum),
		scanJSON(&failJSON), scanNullID(&run.JobID), &run.Attempts, scanTime(&run.DeadlineAt),
		scanTime(&run.CreatedAt), scanNullTime(&run.StartedAt), scanNullTime(&run.CompletedAt), scanTime(&run.UpdatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	if len(ctxJSON) > 0 {
		if err := json.Unmarshal(ctxJSON, &run.Context); err != nil {
			return nil, fmt.Errorf("store: run %d context: %w", run.ID, err)
		}
	}
	if len(sum) > 0 && string(sum) != "null" {
		run.Summary = sum
	}
	if len(failJSON) > 0 && string(failJSON) != "null" {
		run.Failure = &reckon.Failure{}
		if err := json.Unmarshal(failJSON, run.Failure); err != nil {
			return nil, fmt.Errorf("store: run %d failure: %w", run.ID, err)
		}
	}
	return &run, nil
}

func scanRuns(r rows) (*reckon.Run, error) { return scanRun(r) }

// RunInsert is a new queued run.
type RunInsert struct {
	Scope           reckon.Scope
	Type            reckon.RunType
	IdentityHash    string
	InitiatorUserID int64
	Context         reckon.RunContext
	DeadlineAt      time.Time
}

// InsertRunIfAbsent inserts a queued run unless an active run with the same
// identity exists, and returns the active run either way. The partial unique
// index decides the race: on conflict the winner is read back. A run's
// environment must belong to its workspace — the foreign key alone would
// accept any workspace's — else ErrNotFound. The check rides on the insert so
// that a new run costs one statement.
func (tx *Tx) InsertRunIfAbsent(ctx context.Context, p *RunInsert) (*reckon.Run, bool, error) {
	runCtx, err := marshal(p.Context)
	if err != nil {
		return nil, false, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		run, err := scanRun(tx.queryRow(ctx, `
INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, attempts, deadline_at, created_at, updated_at)
SELECT $1, $2, $3, $4, 'queued', 'pending', $5, $6, 0, $7, $8, $8
WHERE CAST($2 AS BIGINT) IS NULL
	OR EXISTS (SELECT 1 FROM managed_environments e WHERE e.id = $2 AND e.workspace_id = $1)
ON CONFLICT (workspace_id, type, identity_hash) WHERE status IN ('queued', 'running') DO NOTHING
RETURNING `+runColumns,
			p.Scope.WorkspaceID, nullable(p.Scope.EnvironmentID), string(p.Type), p.IdentityHash,
			nullable(p.InitiatorUserID), runCtx, p.DeadlineAt, tx.now))
		if err == nil {
			return run, true, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, fmt.Errorf("store: insert run: %w", err)
		}
		// Nothing inserted: the identity is taken, or the scope is wrong.
		run, err = tx.ActiveRunByIdentity(ctx, p.Scope.WorkspaceID, p.Type, p.IdentityHash)
		if err == nil {
			return run, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
		if p.Scope.EnvironmentID != 0 {
			if _, err := tx.Environment(ctx, p.Scope.WorkspaceID, p.Scope.EnvironmentID); err != nil {
				return nil, false, fmt.Errorf("store: insert run: environment %d of workspace %d: %w",
					p.Scope.EnvironmentID, p.Scope.WorkspaceID, err)
			}
		}
		// The winner completed between our insert and our read: try again.
	}
	return nil, false, errors.New("store: insert run: identity kept changing hands")
}

// ActiveRunByIdentity returns the queued or running run with an identity.
func (tx *Tx) ActiveRunByIdentity(ctx context.Context, workspaceID int64, typ reckon.RunType, identity string) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs
WHERE workspace_id = $1 AND type = $2 AND identity_hash = $3 AND status IN ('queued', 'running')`,
		workspaceID, string(typ), identity))
}

// Run returns a run of a workspace; ErrNotFound for a run of another workspace.
func (tx *Tx) Run(ctx context.Context, workspaceID, id int64) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id))
}

// LockRun returns a run by id and locks its row until the transaction ends.
// SQLite transactions already hold the database's write lock.
func (tx *Tx) LockRun(ctx context.Context, id int64) (*reckon.Run, error) {
	q := `SELECT ` + runColumns + ` FROM operation_runs WHERE id = $1`
	if tx.engine == Postgres {
		q += ` FOR UPDATE`
	}
	return scanRun(tx.queryRow(ctx, q, id))
}

// UpdateRun writes a run's lifecycle fields. Only the ledger calls it.
func (tx *Tx) UpdateRun(ctx context.Context, run *reckon.Run) error {
	runCtx, err := marshal(run.Context)
	if err != nil {
		return err
	}
	var failure any
	if run.Failure != nil {
		s, err := marshal(run.Failure)
		if err != nil {
			return err
		}
		failure = s
	}
	run.UpdatedAt = tx.now
	n, err := tx.exec(ctx, `UPDATE operation_runs SET status = $2, outcome = $3, context = $4, summary = $5,
	failure = $6, job_id = $7, attempts = $8, deadline_at = $9, started_at = $10, completed_at = $11, updated_at = $12
WHERE id = $1`,
		run.ID, string(run.Status), string(run.Outcome), runCtx, jsonArg(run.Summary), failure,
		nullable(run.JobID), run.Attempts, run.DeadlineAt, run.StartedAt, run.CompletedAt, run.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: update run %d: %w", run.ID, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetRunJob records the queue job that executes a run.
func (tx *Tx) SetRunJob(ctx context.Context, runID, jobID int64) error {
	_, err := tx.exec(ctx, `UPDATE operation_runs SET job_id = $2 WHERE id = $1`, runID, jobID)
	return err
}
