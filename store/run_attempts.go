package store

import (
	"context"
	"fmt"
	"time"
)

// RunAttempt is one delivery of a run's job to a node. The ledger writes it
// when it marks the run running (StartRun); an attempt ends when it
// is handed on from a dead node, when the next one starts, or with the run,
// and its end is read from those rather than written.
type RunAttempt struct {
	RunID   int64
	Attempt int
	// NodeID is 0 for an attempt made outside a working node (a tool, a
	// test); NodeName is "" then too.
	NodeID    int64
	NodeName  string
	StartedAt time.Time
	// EndedAt is nil while the attempt is the run's latest and the run
	// active.
	EndedAt    *time.Time
	HandedOnAt *time.Time
}

// StartRunAttempt records that attempt n of a run started on a node (0 for
// none). A second record of the same attempt number changes nothing.
func (tx *Tx) StartRunAttempt(ctx context.Context, runID int64, attempt int, nodeID int64) error {
	if _, err := tx.exec(ctx, `INSERT INTO run_attempts (run_id, attempt, node_id, started_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (run_id, attempt) DO NOTHING`, runID, attempt, nullable(nodeID), tx.now); err != nil {
		return fmt.Errorf("store: start attempt %d of run %d: %w", attempt, runID, err)
	}
	return nil
}

// RunAttempts returns a run's attempts, first first, with their nodes' names.
func (tx *Tx) RunAttempts(ctx context.Context, runID int64) ([]*RunAttempt, error) {
	r, err := tx.query(ctx, `SELECT a.run_id, a.attempt, a.node_id, n.name, a.started_at,
	COALESCE(a.handed_on_at,
		(SELECT MIN(b.started_at) FROM run_attempts b WHERE b.run_id = a.run_id AND b.attempt > a.attempt),
		CASE WHEN r.status = 'completed' THEN r.completed_at END),
	a.handed_on_at
FROM run_attempts a
JOIN operation_runs r ON r.id = a.run_id
LEFT JOIN nodes n ON n.id = a.node_id
WHERE a.run_id = $1 ORDER BY a.attempt`, runID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*RunAttempt, error) {
		var a RunAttempt
		err := r.Scan(&a.RunID, &a.Attempt, scanNullID(&a.NodeID), scanNullString(&a.NodeName),
			scanTime(&a.StartedAt), scanNullTime(&a.EndedAt), scanNullTime(&a.HandedOnAt))
		return &a, err
	})
}

// OrphanedAttempt is the latest attempt of a running run, on a dead node.
type OrphanedAttempt struct {
	RunID   int64
	Attempt int
	NodeID  int64
}

// OrphanedAttempts returns up to limit latest attempts of running runs,
// not handed on yet, whose node stopped or last heartbeat before
// deadBefore, in run order.
func (tx *Tx) OrphanedAttempts(ctx context.Context, deadBefore time.Time, limit int) ([]OrphanedAttempt, error) {
	r, err := tx.query(ctx, `SELECT a.run_id, a.attempt, a.node_id
FROM run_attempts a
JOIN nodes n ON n.id = a.node_id
JOIN operation_runs r ON r.id = a.run_id
WHERE a.attempt = r.attempts AND a.handed_on_at IS NULL AND r.status = 'running'
	AND (n.stopped_at IS NOT NULL OR n.heartbeat_at < $1)
ORDER BY a.run_id LIMIT $2`, deadBefore, limit)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (OrphanedAttempt, error) {
		var o OrphanedAttempt
		err := r.Scan(&o.RunID, &o.Attempt, &o.NodeID)
		return o, err
	})
}

// OrphanedJob is the queue job of a queued run, taken by the worker of a
// node that died before the run's first attempt began.
type OrphanedJob struct {
	RunID int64
	JobID int64
}

// OrphanedJobs returns up to limit queued runs whose queue job is running
// on the River client of a node that stopped or last heartbeat before
// deadBefore, in run order; a job out of attempts is left to River, as
// ReleaseJob leaves it. River's running jobs are few, so the query starts
// from them.
func (tx *Tx) OrphanedJobs(ctx context.Context, deadBefore time.Time, limit int) ([]OrphanedJob, error) {
	lastClient := `j.attempted_by[array_length(j.attempted_by, 1)]`
	if tx.engine == SQLite {
		lastClient = `json_extract(j.attempted_by, '$[#-1]')` // riversqlite keeps a JSON array
	}
	r, err := tx.query(ctx, `SELECT r.id, j.id
FROM river_job j
JOIN operation_runs r ON r.job_id = j.id
JOIN nodes n ON n.river_client_id = `+lastClient+`
WHERE j.state = 'running' AND j.attempt < j.max_attempts AND r.status = 'queued'
	AND (n.stopped_at IS NOT NULL OR n.heartbeat_at < $1)
ORDER BY r.id LIMIT $2`, deadBefore, limit)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (OrphanedJob, error) {
		var o OrphanedJob
		err := r.Scan(&o.RunID, &o.JobID)
		return o, err
	})
}

// HandOnAttempt ends an attempt as handed on. False when it was handed on
// already (by another node).
func (tx *Tx) HandOnAttempt(ctx context.Context, runID int64, attempt int) (bool, error) {
	n, err := tx.exec(ctx, `UPDATE run_attempts SET handed_on_at = $3
WHERE run_id = $1 AND attempt = $2 AND handed_on_at IS NULL`, runID, attempt, tx.now)
	if err != nil {
		return false, fmt.Errorf("store: hand on attempt %d of run %d: %w", attempt, runID, err)
	}
	return n > 0, nil
}

// ReleaseJob makes a queue job that is stuck running (or waiting to be
// retried) available again now, for the next free worker. The time is the
// database's own, as River's scheduler reads it, never the store's clock.
// A job out of attempts is left to River.
func (tx *Tx) ReleaseJob(ctx context.Context, jobID int64) (bool, error) {
	now := `now()`
	if tx.engine == SQLite {
		now = `datetime('now', 'subsec')`
	}
	n, err := tx.exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = `+now+`
WHERE id = $1 AND state IN ('running', 'retryable') AND attempt < max_attempts`, jobID)
	if err != nil {
		return false, fmt.Errorf("store: release job %d: %w", jobID, err)
	}
	return n > 0, nil
}
