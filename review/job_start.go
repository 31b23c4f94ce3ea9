package review

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// start is steps 1–2: nothing to do for a completed run or one already past
// its deadline (the reconciler's) — done; else the run is marked running and
// what the resolver can prove without a deadline is applied (done when it
// settled the run).
func (w *Worker) start(ctx context.Context, job *river.Job[ComposeArgs]) (run *reckon.Run, done bool, err error) {
	s, runID := w.svc, job.Args.RunID
	err = s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		run, err = tx.LockRun(ctx, runID)
		if store.IsNotFound(err) {
			// The run is gone (its workspace was deleted): nothing to compose.
			done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("load run %d: %w", runID, err)
		}
		if run.Status == reckon.RunCompleted || run.PastDeadline(tx.Now()) {
			done = true
			return nil
		}
		if run.Context.Fingerprint == "" || run.Context.EvidenceSnapshotID == 0 {
			return &permanentError{fmt.Errorf("run %d names no fingerprint or snapshot", runID)}
		}
		if run, _, err = s.ledger.MarkRunning(ctx, tx, runID); err != nil {
			return err
		}
		d, err := Resolve(ctx, tx, run, tx.Now())
		if err != nil || !d.Settles() || d.NeedsDeadline {
			return err
		}
		reason := d.ReasonCode
		if d.Outcome == reckon.OutcomeSucceeded && reason == ReasonAvailable {
			found, err := tx.Review(ctx, run.WorkspaceID, d.Evidence.ReviewID)
			if err != nil {
				return err
			}
			if found.OperationRunID != run.ID {
				reason = ReasonReusedExisting
			}
		}
		done = true
		return w.settle(ctx, tx, job, d, reason)
	})
	return run, done, err
}
