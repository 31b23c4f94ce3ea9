package store

import (
	"context"
	"fmt"
)

// QueueJobCount counts the job queue's jobs of one kind, only those in state
// when state is not empty ("available", "completed", …). Tests use it to
// prove that a run's job exists exactly when the run does; the benchmark to
// check that every job it inserted was worked.
func (tx *Tx) QueueJobCount(ctx context.Context, kind, state string) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = $1 AND ($2 = '' OR CAST(state AS TEXT) = $2)`,
		kind, state).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count %s jobs: %w", kind, err)
	}
	return n, nil
}

// QueueJobsByState is how many of the job queue's jobs are of one kind in
// one state.
type QueueJobsByState struct {
	State string
	Kind  string
	N     int64
}

// CountQueueJobs counts the job queue's jobs by state and kind in one
// grouped read, for the metrics scrape. River prunes finished jobs, so the
// table stays small enough to count.
func (tx *Tx) CountQueueJobs(ctx context.Context) ([]QueueJobsByState, error) {
	r, err := tx.query(ctx, `SELECT CAST(state AS TEXT), kind, COUNT(*) FROM river_job GROUP BY state, kind ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: count queue jobs: %w", err)
	}
	return collect(r, func(r rows) (QueueJobsByState, error) {
		var c QueueJobsByState
		err := r.Scan(&c.State, &c.Kind, &c.N)
		return c, err
	})
}
