package restore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// ExecuteArgs is the queue job that executes a restore.execute run.
type ExecuteArgs struct {
	RunID int64 `json:"run_id"`
}

// Kind implements river.JobArgs.
func (ExecuteArgs) Kind() string { return string(reckon.RunTypeRestoreExecute) }

// Register wires restores into a process: the job that executes the run
// type, the adapter that reconciles it, and — when the process works jobs
// (workers is not nil) — the job's worker.
func Register(cat *catalog.Catalog, workers *river.Workers, svc *Service) {
	cat.SetJob(reckon.RunTypeRestoreExecute, func(runID int64) river.JobArgs { return ExecuteArgs{RunID: runID} })
	cat.RegisterAdapter(reckon.RunTypeRestoreExecute, Adapter{})
	if workers != nil {
		// The transaction that completes the run also completes its queue
		// job, so the job never runs again after.
		river.AddWorker(workers, catalog.Worker(cat, reckon.RunTypeRestoreExecute, func(ctx context.Context, job *river.Job[ExecuteArgs]) error {
			return svc.execute(ctx, job.Args.RunID, queue.CompleteJob(job))
		}))
	}
}

// jobEnd ends the queue job of a run in the transaction that completes the
// run; nil when the run is executed outside the queue.
type jobEnd func(ctx context.Context, tx *store.Tx) error

// complete completes the run through the ledger and ends its job, in tx.
func (s *Service) complete(ctx context.Context, tx *store.Tx, runID int64, c *ledger.Completion, end jobEnd) error {
	c.EndJob = end
	_, _, err := s.ledger.Complete(ctx, tx, runID, c)
	return err
}

// summary is the run summary of a restore.
type summary struct {
	ItemsTotal     int `json:"items_total"`
	ItemsSucceeded int `json:"items_succeeded"`
	ItemsFailed    int `json:"items_failed"`
}

// Execute applies a restore run's items and completes the run. Every step is
// safe to repeat, because jobs are delivered at least once: a completed run
// is left alone, items that already have a result are skipped, and the final
// write goes through the ledger, which ignores a run settled meanwhile.
func (s *Service) Execute(ctx context.Context, runID int64) error {
	return s.execute(ctx, runID, nil)
}

func (s *Service) execute(ctx context.Context, runID int64, end jobEnd) error {
	rr, proceed, err := s.begin(ctx, runID, end)
	if err != nil || !proceed {
		return err
	}
	var pending []*reckon.RestoreItem
	if err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		pending, err = tx.RestoreItems(ctx, rr.ID, true)
		return err
	}); err != nil {
		return fmt.Errorf("restore: run %d: %w", runID, err)
	}
	for _, item := range pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		status, code := reckon.RestoreItemApplied, ""
		if err := s.provider.Apply(ctx, rr.Scope(), item); err != nil {
			if code = itemErrorCode(err); code == "" {
				return fmt.Errorf("restore: run %d: apply item %d: %w", runID, item.ID, err)
			}
			status = reckon.RestoreItemFailed
			s.logger.Info("restore: item failed", "run_id", runID, "item_id", item.ID, "code", code)
		}
		if err := s.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordRestoreItem(ctx, item.ID, status, code)
			return err
		}); err != nil {
			return fmt.Errorf("restore: run %d: %w", runID, err)
		}
	}
	return s.finish(ctx, runID, rr.ID, end)
}

// begin marks the run running and its restore started. proceed is false when
// there is nothing for the job to do: the run is completed, or it is already
// past its deadline, which makes it the reconciler's.
func (s *Service) begin(ctx context.Context, runID int64, end jobEnd) (rr *reckon.RestoreRun, proceed bool, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		run, err := tx.LockRun(ctx, runID)
		if err != nil {
			return err
		}
		if !run.Status.Active() || run.PastDeadline(tx.Now()) {
			return nil
		}
		rr, err = tx.RestoreByRun(ctx, run.Scope(), run.ID)
		if store.IsNotFound(err) {
			// Start writes the run and its restore in one transaction, so
			// a run without one has nothing it could ever apply.
			return s.complete(ctx, tx, runID, &ledger.Completion{
				Outcome: reckon.OutcomeFailed, ReasonCode: ReasonMissing, Actor: "job"}, end)
		}
		if err != nil {
			return err
		}
		if _, _, err := s.ledger.MarkRunning(ctx, tx, runID); err != nil {
			return err
		}
		proceed = true
		return tx.StartRestore(ctx, rr.ID)
	})
	if err != nil {
		return nil, false, fmt.Errorf("restore: run %d: %w", runID, err)
	}
	return rr, proceed, nil
}

// finish records the restore's outcome from its item counts and completes
// the run in one transaction. The restore's truth is recorded even when the
// run was settled meanwhile: the items were applied, whatever the ledger says.
func (s *Service) finish(ctx context.Context, runID, restoreID int64, end jobEnd) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.LockRun(ctx, runID); err != nil {
			return err
		}
		rr, err := tx.LockRestore(ctx, restoreID)
		if err != nil {
			return err
		}
		if !rr.Status.Terminal() {
			if rr.ItemsSucceeded, rr.ItemsFailed, err = tx.CountRestoreItems(ctx, rr.ID); err != nil {
				return err
			}
			rr.Status = statusFor(rr.ItemsSucceeded, rr.ItemsTotal)
			if err := tx.FinishRestore(ctx, rr); err != nil {
				return err
			}
		}
		outcome, reason, _ := outcomeFor(rr.Status)
		sum, err := json.Marshal(summary{ItemsTotal: rr.ItemsTotal, ItemsSucceeded: rr.ItemsSucceeded, ItemsFailed: rr.ItemsFailed})
		if err != nil {
			return err
		}
		return s.complete(ctx, tx, runID, &ledger.Completion{
			Outcome: outcome, Summary: sum, ReasonCode: reason, Actor: "job"}, end)
	})
	if err != nil {
		return fmt.Errorf("restore: run %d: finish: %w", runID, err)
	}
	return nil
}
