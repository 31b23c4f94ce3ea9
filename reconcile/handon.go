package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// HandOn hands the runs of dead nodes on to live ones (docs/design.md §12):
// the latest attempt of every running run whose node stopped, or whose
// heartbeat is older than the catalog's Liveness.DeadAfter, ends as handed
// on, and the run's queue job is made available again at once, so that the
// next free worker — on any live node — starts a fresh attempt of the same
// run. A queued run whose job a dead node's worker took before the run's
// first attempt began has its job made available the same way (no attempt
// to end): otherwise only River's rescuer would take it back, later than a
// short run's deadline. Live nodes call it on each heartbeat; two doing so
// at once hand each run on once, as the run's row lock, the attempt's
// handed_on_at and the job's state decide. It returns how many runs it
// handed on.
func (r *Reconciler) HandOn(ctx context.Context) (int, error) {
	deadAfter := r.ledger.Catalog().Liveness.DeadAfter
	total := 0
	for {
		var handed []orphan
		var full bool
		err := r.db.InTx(ctx, func(tx *store.Tx) error {
			handed = nil
			orphans, err := r.orphans(ctx, tx, tx.Now().Add(-deadAfter))
			if err != nil {
				return err
			}
			full = len(orphans.attempts) == r.batch || len(orphans.jobs) == r.batch
			// One pass in run order, so that two nodes handing on at once
			// lock runs in the same order.
			for _, o := range orphans.merged() {
				ok, err := handOn(ctx, tx, o)
				if err != nil {
					return err
				}
				if ok {
					handed = append(handed, o)
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("reconcile: hand on: %w", err)
		}
		for _, o := range handed {
			if o.attempt == 0 {
				r.logger.Info("reconcile: handed a dead node's run on before its first attempt", "run_id", o.runID, "job_id", o.jobID)
			} else {
				r.logger.Info("reconcile: handed a dead node's run on", "run_id", o.runID, "attempt", o.attempt)
			}
		}
		total += len(handed)
		// A batch selects none of the runs handed on before it again, and a
		// full batch may have more behind it.
		if !full {
			return total, nil
		}
	}
}

// orphans are what dead nodes left: attempts of running runs, and jobs of
// queued runs whose first attempt never began.
type orphans struct {
	attempts []store.OrphanedAttempt
	jobs     []store.OrphanedJob
}

func (r *Reconciler) orphans(ctx context.Context, tx *store.Tx, deadBefore time.Time) (o orphans, err error) {
	if o.attempts, err = tx.OrphanedAttempts(ctx, deadBefore, r.batch); err != nil {
		return o, err
	}
	o.jobs, err = tx.OrphanedJobs(ctx, deadBefore, r.batch)
	return o, err
}

// orphan is one run to hand on: attempt is 0 for a queued run's job.
type orphan struct {
	runID   int64
	attempt int
	jobID   int64
}

func (o orphans) merged() []orphan {
	all := make([]orphan, 0, len(o.attempts)+len(o.jobs))
	for _, a := range o.attempts {
		all = append(all, orphan{runID: a.RunID, attempt: a.Attempt})
	}
	for _, j := range o.jobs {
		all = append(all, orphan{runID: j.RunID, jobID: j.JobID})
	}
	slices.SortFunc(all, func(a, b orphan) int { return cmp.Compare(a.runID, b.runID) })
	return all
}

// handOn hands one run on under its row lock, unless it moved on since it
// was selected: completed, started (or its next attempt started), or its
// job taken back already.
func handOn(ctx context.Context, tx *store.Tx, o orphan) (bool, error) {
	run, err := tx.LockRun(ctx, o.runID)
	if err != nil {
		return false, err
	}
	if o.attempt == 0 {
		if run.Status != reckon.RunQueued || run.JobID != o.jobID {
			return false, nil
		}
		return tx.ReleaseJob(ctx, o.jobID)
	}
	if run.Status != reckon.RunRunning || run.Attempts != o.attempt {
		return false, nil
	}
	if ok, err := tx.HandOnAttempt(ctx, o.runID, o.attempt); err != nil || !ok {
		return false, err
	}
	if run.JobID != 0 {
		if _, err := tx.ReleaseJob(ctx, run.JobID); err != nil {
			return false, err
		}
	}
	return true, nil
}
