package review

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// compose reads the run's snapshot and baseline and composes the content.
func (w *Worker) compose(ctx context.Context, run *reckon.Run) (*reckon.Snapshot, json.RawMessage, error) {
	var snap, baseline *reckon.Snapshot
	err := w.svc.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if snap, err = tx.Snapshot(ctx, run.WorkspaceID, run.Context.EvidenceSnapshotID); err != nil {
			return err
		}
		if run.Context.BaselineSnapshotID != 0 {
			baseline, err = tx.Snapshot(ctx, run.WorkspaceID, run.Context.BaselineSnapshotID)
		}
		return err
	})
	if store.IsNotFound(err) {
		return nil, nil, &permanentError{fmt.Errorf("run %d: snapshot missing: %w", run.ID, err)}
	}
	if err != nil {
		return nil, nil, err
	}
	if snap.EnvironmentID != run.EnvironmentID || (baseline != nil && baseline.EnvironmentID != run.EnvironmentID) {
		return nil, nil, &permanentError{fmt.Errorf("run %d: snapshot of another environment", run.ID)}
	}
	content, err := Compose(snap, baseline).Marshal()
	if err != nil {
		return nil, nil, &permanentError{err}
	}
	return snap, content, nil
}

// finish is the final transaction: the environment's row is locked first
// (Compose takes it too, so that no caller sees neither this run active nor
// its review ready), then the run's, so a run the reconciler settled
// meanwhile stays as it is (and the draft stays, for the next compose to
// take over); then the review becomes ready — or
// superseded at once when newer evidence already has a current review —
// older reviews are superseded, and the run completes from the resolver's
// reading of the rows just written.
func (w *Worker) finish(ctx context.Context, tx *store.Tx, job *river.Job[ComposeArgs], scope reckon.Scope, draftID int64, snap *reckon.Snapshot, content json.RawMessage) error {
	runID := job.Args.RunID
	// A run's scope never changes: the one read at the start stands.
	if err := tx.LockEnvironment(ctx, scope); err != nil {
		return err
	}
	run, err := tx.LockRun(ctx, runID)
	if err != nil {
		return err
	}
	if run.Status == reckon.RunCompleted {
		w.opts.Logger.InfoContext(ctx, "compose run was settled while composing; its draft stays", "run_id", runID, "review_id", draftID)
		return nil
	}
	v, err := tx.LockReview(ctx, run.WorkspaceID, draftID)
	if err != nil {
		return err
	}
	if v.Status != reckon.ReviewDraft || v.OperationRunID != run.ID {
		return errLostDraft
	}
	now := tx.Now()
	order := store.ReviewOrder{CapturedAt: snap.CapturedAt, SnapshotID: snap.ID, ReviewID: v.ID}
	v.Status, v.Content, v.ComposedAt = reckon.ReviewReady, content, &now
	newer, err := tx.NewerCurrentReview(ctx, scope, order)
	switch {
	case err == nil:
		// Newest evidence wins, whatever order the jobs finish in.
		v.Status, v.SupersededByReviewID = reckon.ReviewSuperseded, newer.ID
	case !store.IsNotFound(err):
		return err
	}
	if err := tx.UpdateReview(ctx, v); err != nil {
		return err
	}
	if err := audit(ctx, tx, v, "job", "review.composed", reviewAudit{}); err != nil {
		return err
	}
	if v.Status == reckon.ReviewReady {
		ids, err := tx.SupersedeOlderReviews(ctx, scope, order)
		if err != nil {
			return err
		}
		for _, id := range ids {
			old := &reckon.Review{ID: id, WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID,
				Status: reckon.ReviewSuperseded, SupersededByReviewID: v.ID}
			if err := audit(ctx, tx, old, "job", "review.superseded", reviewAudit{}); err != nil {
				return err
			}
		}
	}
	d, err := Resolve(ctx, tx, run, now)
	if err != nil {
		return err
	}
	reason := d.ReasonCode
	if d.Outcome == reckon.OutcomeSucceeded {
		took, err := tookOver(ctx, tx, run.WorkspaceID, v.ID, run.ID)
		if err != nil {
			return err
		}
		if took {
			reason = ReasonTookOverStaleDraft
		}
	}
	return w.settle(ctx, tx, job, d, reason)
}

// tookOver reports whether run took review over from another run.
func tookOver(ctx context.Context, tx *store.Tx, workspaceID, reviewID, runID int64) (bool, error) {
	list, err := Takeovers(ctx, tx, workspaceID, reviewID)
	for _, t := range list {
		if t.RunID == runID {
			return true, nil
		}
	}
	return false, err
}
