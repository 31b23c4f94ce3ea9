package reconcile

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// HandOn hands the runs of dead nodes on to live ones (docs/design.md §12):
// the latest attempt of every running run whose node stopped, or whose
// heartbeat is older than the catalog's Liveness.DeadAfter, ends as handed
// on, and the run's queue job is made available again at once, so that the
// next free worker — on any live node — starts a fresh attempt of the same
// run. Live nodes call it on each heartbeat; two doing so at once hand each
// run on once, as the run's row lock and the attempt's handed_on_at decide. It
// returns how many runs it handed on.
func (r *Reconciler) HandOn(ctx context.Context) (int, error) {
	deadAfter := r.ledger.Catalog().Liveness.DeadAfter
	total := 0
	for {
		var handed []int64
		var n int
		err := r.db.InTx(ctx, func(tx *store.Tx) error {
			handed = nil
			orphans, err := tx.OrphanedAttempts(ctx, tx.Now().Add(-deadAfter), r.batch)
			if err != nil {
				return err
			}
			n = len(orphans)
			for _, o := range orphans {
				run, err := tx.LockRun(ctx, o.RunID)
				if err != nil {
					return err
				}
				if run.Status != reckon.RunRunning || run.Attempts != o.Attempt {
					continue // completed, or a next attempt started meanwhile
				}
				ok, err := tx.HandOnAttempt(ctx, o.RunID, o.Attempt)
				if err != nil || !ok {
					if err != nil {
						return err
					}
					continue
				}
				if run.JobID != 0 {
					if _, err := tx.ReleaseJob(ctx, run.JobID); err != nil {
						return err
					}
				}
				handed = append(handed, run.ID)
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("reconcile: hand on: %w", err)
		}
		for _, id := range handed {
			r.logger.Info("reconcile: handed a dead node's run on", "run_id", id)
		}
		total += len(handed)
		// A batch selects none of the attempts handed on before it again,
		// and a full batch may have more behind it.
		if n < r.batch {
			return total, nil
		}
	}
}
