package store

import (
	"context"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

// SweepCursor is the position of a sweep in the active-deadline index: the
// last (deadline_at, id) it has seen. The zero cursor starts at the oldest
// deadline.
type SweepCursor struct {
	DeadlineAt time.Time
	ID         int64
}

// staleRunsFrom selects active runs of the types in $5 (typeIn) past a
// deadline ($1) after a cursor ($2, $3), in index order, $4 at a time.
func (tx *Tx) staleRunsFrom() string {
	return ` FROM operation_runs
WHERE status IN ('queued', 'running') AND deadline_at < $1 AND (deadline_at, id) > ($2, $3) AND ` + tx.typeIn(5) + `
ORDER BY deadline_at, id LIMIT $4`
}

// typeIn is the condition that a run's type is one of the JSON array of
// types in parameter n (typesParam).
func (tx *Tx) typeIn(n int) string {
	if tx.engine == SQLite {
		return fmt.Sprintf(`type IN (SELECT value FROM json_each($%d))`, n)
	}
	return fmt.Sprintf(`CAST($%d AS JSONB) ? type`, n)
}

// typesParam is the parameter of typeIn: the types as a JSON array.
func typesParam(types []reckon.RunType) (string, error) {
	if types == nil {
		types = []reckon.RunType{}
	}
	return marshal(types)
}

// StaleRuns returns up to limit active runs of the given types whose
// deadline is before now, after the cursor, in (deadline_at, id) order, and
// locks them until the transaction ends. The query walks the partial index
// operation_runs_active_deadline, so its cost follows the number of active
// runs, not the size of the history. Runs of other types are left to the
// processes that know them.
//
// On PostgreSQL, SKIP LOCKED lets concurrent sweepers share the work: a run
// another sweeper holds is skipped, not waited for, and a run settled in
// the meantime no longer matches the status filter when its lock is taken.
// SQLite transactions are IMMEDIATE and already serialise writers.
func (tx *Tx) StaleRuns(ctx context.Context, now time.Time, types []reckon.RunType, after SweepCursor, limit int) ([]*reckon.Run, error) {
	in, err := typesParam(types)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + runColumns + tx.staleRunsFrom()
	if tx.engine == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	r, err := tx.query(ctx, q, now, after.DeadlineAt, after.ID, limit, in)
	if err != nil {
		return nil, fmt.Errorf("store: stale runs: %w", err)
	}
	return collect(r, scanRuns)
}

// DiscardedJobRuns returns up to limit active runs of the given types with
// id above afterID whose queue job was discarded for good (River gave up on
// it), and locks them until the transaction ends (SKIP LOCKED on
// PostgreSQL, as in StaleRuns). It reads River's job table, which lives in
// the same database, so a crashed process loses nothing: the rows say what
// happened.
func (tx *Tx) DiscardedJobRuns(ctx context.Context, types []reckon.RunType, afterID int64, limit int) ([]*reckon.Run, error) {
	in, err := typesParam(types)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + runColumns + ` FROM operation_runs
WHERE status IN ('queued', 'running') AND job_id IS NOT NULL AND id > $1 AND ` + tx.typeIn(3) + `
	AND EXISTS (SELECT 1 FROM river_job j WHERE j.id = operation_runs.job_id AND j.state = 'discarded')
ORDER BY id LIMIT $2`
	if tx.engine == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	r, err := tx.query(ctx, q, afterID, limit, in)
	if err != nil {
		return nil, fmt.Errorf("store: runs of discarded jobs: %w", err)
	}
	return collect(r, scanRuns)
}

// JobDiscarded reports whether a run's queue job was discarded for good.
func (tx *Tx) JobDiscarded(ctx context.Context, jobID int64) (bool, error) {
	if jobID == 0 {
		return false, nil
	}
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE id = $1 AND state = 'discarded'`, jobID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: job %d state: %w", jobID, err)
	}
	return n > 0, nil
}

// ExplainStaleRuns returns PostgreSQL's plan of the StaleRuns query, for
// tests and benchmarks that check it walks the active-deadline index.
// SQLite answers with its own query plan.
func (tx *Tx) ExplainStaleRuns(ctx context.Context, now time.Time, types []reckon.RunType, limit int) (string, error) {
	in, err := typesParam(types)
	if err != nil {
		return "", err
	}
	plan, err := tx.explain(ctx, `SELECT `+runColumns+tx.staleRunsFrom(), now, time.Time{}, 0, limit, in)
	if err != nil {
		return "", fmt.Errorf("store: explain stale runs: %w", err)
	}
	return plan, nil
}

// AnalyzeRuns refreshes the planner's statistics of operation_runs after a
// bulk load.
func (tx *Tx) AnalyzeRuns(ctx context.Context) error {
	_, err := tx.exec(ctx, `ANALYZE operation_runs`)
	return err
}

// Savepoint runs fn inside a savepoint of the transaction. When fn fails,
// its writes are rolled back and the transaction stays usable: on
// PostgreSQL a failed statement would otherwise abort the whole
// transaction. Both engines speak the same savepoint SQL.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := tx.exec(ctx, `SAVEPOINT reckon_sp`); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := tx.exec(ctx, `ROLLBACK TO SAVEPOINT reckon_sp`); rbErr != nil {
			return fmt.Errorf("store: rollback to savepoint: %w (after %w)", rbErr, err)
		}
		if _, rlErr := tx.exec(ctx, `RELEASE SAVEPOINT reckon_sp`); rlErr != nil {
			return fmt.Errorf("store: release savepoint: %w (after %w)", rlErr, err)
		}
		return err
	}
	if _, err := tx.exec(ctx, `RELEASE SAVEPOINT reckon_sp`); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

// CountAuditEventsBySubject counts the audit events of each subject of a
// type; tests use it to prove one event per settled run.
func (tx *Tx) CountAuditEventsBySubject(ctx context.Context, subjectType string) (map[int64]int64, error) {
	r, err := tx.query(ctx, `SELECT subject_id, COUNT(*) FROM audit_events WHERE subject_type = $1 GROUP BY subject_id`, subjectType)
	if err != nil {
		return nil, fmt.Errorf("store: count audit events: %w", err)
	}
	counts := map[int64]int64{}
	_, err = collect(r, func(r rows) (struct{}, error) {
		var id, n int64
		err := r.Scan(&id, &n)
		counts[id] = n
		return struct{}{}, err
	})
	return counts, err
}

// ActiveRunCount is the number of active runs of one type and status.
type ActiveRunCount struct {
	Type   reckon.RunType
	Status reckon.RunStatus
	N      int64
}

// CountActiveRuns counts queued and running runs by type and status.
func (tx *Tx) CountActiveRuns(ctx context.Context) ([]ActiveRunCount, error) {
	r, err := tx.query(ctx, `SELECT type, status, COUNT(*) FROM operation_runs
WHERE status IN ('queued', 'running') GROUP BY type, status ORDER BY type, status`)
	if err != nil {
		return nil, fmt.Errorf("store: count active runs: %w", err)
	}
	return collect(r, func(r rows) (ActiveRunCount, error) {
		var c ActiveRunCount
		err := r.Scan(&c.Type, &c.Status, &c.N)
		return c, err
	})
}

// CountRunsPastDeadline counts active runs whose deadline is before now.
func (tx *Tx) CountRunsPastDeadline(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM operation_runs
WHERE status IN ('queued', 'running') AND deadline_at < $1`, now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count runs past deadline: %w", err)
	}
	return n, nil
}

// RunBatch describes many runs of one shape, for benchmarks and tests that
// need a large history.
type RunBatch struct {
	Scope   reckon.Scope
	Type    reckon.RunType
	Status  reckon.RunStatus
	Outcome reckon.Outcome // pending unless Status is completed
	Count   int
	// KeyPrefix makes identity hashes KeyPrefix1 … KeyPrefixN; it must not
	// repeat an active identity of the same workspace and type.
	KeyPrefix  string
	CreatedAt  time.Time
	DeadlineAt time.Time
}

// InsertRunBatch inserts Count runs in one statement. Runs that are running
// or completed are stamped as started (and completed) at CreatedAt.
func (tx *Tx) InsertRunBatch(ctx context.Context, b *RunBatch) error {
	var q string
	if tx.engine == Postgres {
		// generate_series, with casts because parameters in a SELECT list
		// have no column to take their type from.
		q = `INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome, context,
	attempts, deadline_at, created_at, started_at, completed_at, updated_at)
SELECT $1::bigint, $2::bigint, $3::text, $4::text || n, $5::text, $6::text, '{}'::jsonb, 0, $7::timestamptz, $8::timestamptz,
	CASE WHEN $5::text <> 'queued' THEN $8::timestamptz END,
	CASE WHEN $5::text = 'completed' THEN $8::timestamptz END, $8::timestamptz
FROM generate_series(1, $9::int) AS n`
	} else {
		// SQLite has no generate_series by default: a recursive CTE counts.
		q = `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $9)
INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome, context,
	attempts, deadline_at, created_at, started_at, completed_at, updated_at)
SELECT $1, $2, $3, $4 || n, $5, $6, '{}', 0, $7, $8,
	CASE WHEN $5 <> 'queued' THEN $8 END, CASE WHEN $5 = 'completed' THEN $8 END, $8
FROM seq`
	}
	outcome := b.Outcome
	if outcome == "" {
		outcome = reckon.OutcomePending
	}
	_, err := tx.exec(ctx, q, b.Scope.WorkspaceID, nullable(b.Scope.EnvironmentID), string(b.Type), b.KeyPrefix,
		string(b.Status), string(outcome), b.DeadlineAt, b.CreatedAt, b.Count)
	if err != nil {
		return fmt.Errorf("store: insert run batch: %w", err)
	}
	return nil
}
