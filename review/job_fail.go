package review

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// fail is step 5: the run's draft becomes failed and the run completes
// failed with a safe reason code. A run already completed is left alone.
func (w *Worker) fail(ctx context.Context, job *river.Job[ComposeArgs]) error {
	return w.svc.db.InTx(ctx, func(tx *store.Tx) error {
		run, err := tx.LockRun(ctx, job.Args.RunID)
		if err != nil || run.Status == reckon.RunCompleted {
			return err
		}
		candidates, err := tx.ReviewCandidates(ctx, run.Scope(), run.Context.Fingerprint, run.ID)
		if err != nil {
			return err
		}
		for _, c := range candidates {
			if c.OperationRunID != run.ID || c.Status != reckon.ReviewDraft {
				continue
			}
			c.Status = reckon.ReviewFailed
			if err := tx.UpdateReview(ctx, c); err != nil {
				return err
			}
			if err := audit(ctx, tx, c, "job", "review.failed", reviewAudit{}); err != nil {
				return err
			}
		}
		d, err := Resolve(ctx, tx, run, tx.Now())
		switch {
		case err != nil:
			return err
		case d.Outcome != reckon.OutcomeFailed && d.Settles() && !d.NeedsDeadline:
			// The rows prove another outcome (a review of the fingerprint
			// is current after all): the truth wins over the error.
			return w.settle(ctx, tx, job, d, d.ReasonCode)
		}
		// No review of this run shows the failure, or its draft is now
		// failed: the run fails with the same safe reason either way.
		d.Outcome = reckon.OutcomeFailed
		d.NeedsDeadline = false
		return w.settle(ctx, tx, job, d, ReasonComposeFailed)
	})
}

// settle completes the job's run from a resolver decision, with the
// docs/design.md §4 metadata, and ends the queue job in the same
// transaction: once the run is completed, its job can never run again.
func (w *Worker) settle(ctx context.Context, tx *store.Tx, job *river.Job[ComposeArgs], d reckon.Decision, reason string) error {
	rec := reckon.Reconciliation{Source: reckon.SourceComposeJob, Adapter: AdapterName, Decision: d.Outcome,
		ReasonCode: reason, ReconciledAt: tx.Now(), Evidence: d.Evidence}
	_, _, err := w.svc.ledger.Complete(ctx, tx, job.Args.RunID, &ledger.Completion{Outcome: d.Outcome, ReasonCode: reason,
		Reconciliation: &rec, Actor: "job", EndJob: queue.CompleteJob(job)})
	return err
}
