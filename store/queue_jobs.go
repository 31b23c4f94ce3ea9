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
