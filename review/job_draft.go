package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// draft inserts the run's draft review or recovers from the review the
// uniqueness index holds (docs/design.md §6 step 3). It returns nil and no error
// when the run was settled, and a snooze error to wait for another run.
func (w *Worker) draft(ctx context.Context, job *river.Job[ComposeArgs], run *reckon.Run) (draft *reckon.Review, err error) {
	s := w.svc
	scope := run.Scope()
	var wait error
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		draft, wait = nil, nil
		// A conflicting row can change status between the insert and the
		// read (published, superseded): then the insert is tried again.
		for attempt := 0; attempt < 3; attempt++ {
			v, err := tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope,
				EvidenceSnapshotID: run.Context.EvidenceSnapshotID, Fingerprint: run.Context.Fingerprint,
				OperationRunID: run.ID, CreatedBy: run.InitiatorUserID})
			if err == nil {
				draft = v
				return audit(ctx, tx, v, "job", "review.drafted", reviewAudit{})
			}
			if !store.IsConflict(err) {
				return err
			}
			held, err := tx.MutableReviewByFingerprint(ctx, scope, run.Context.Fingerprint)
			if store.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			switch {
			case held.Status == reckon.ReviewDraft && held.OperationRunID == run.ID:
				// An earlier delivery inserted it.
				draft = held
				return nil
			case held.Status == reckon.ReviewReady:
				d, err := Resolve(ctx, tx, run, tx.Now())
				switch {
				case err != nil:
					return err
				case d.Outcome == reckon.OutcomeSucceeded:
					return w.settle(ctx, tx, job, d, ReasonDuplicateRecovered)
				case d.Settles():
					// Several current reviews of the fingerprint: ambiguous.
					return w.settle(ctx, tx, job, d, d.ReasonCode)
				}
				return fmt.Errorf("run %d: the resolver did not see review %d", run.ID, held.ID)
			case held.Status == reckon.ReviewDraft:
				owner, live, err := ownerState(ctx, tx, held)
				if err != nil {
					return err
				}
				if live {
					wait = w.snooze(run, owner.DeadlineAt)
					return nil
				}
			}
			// A failed review, or a draft whose run is finished or overdue.
			draft, err = takeOver(ctx, tx, run, held)
			if err != nil || draft != nil {
				return err
			}
		}
		return errors.New("the review of this fingerprint kept changing")
	})
	if err == nil {
		err = wait
	}
	return draft, err
}

// ownerState returns the run that owns a draft and whether it is alive:
// active and within its deadline.
func ownerState(ctx context.Context, tx *store.Tx, v *reckon.Review) (*reckon.Run, bool, error) {
	if v.OperationRunID == 0 {
		return nil, false, nil
	}
	owner, err := tx.Run(ctx, v.WorkspaceID, v.OperationRunID)
	if store.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return owner, owner.Status.Active() && !owner.PastDeadline(tx.Now()), nil
}

// takeOver links a stale draft or a failed review to run, as a fresh draft,
// under the review's row lock. It returns nil when the row changed before
// the lock was taken; the caller looks again.
func takeOver(ctx context.Context, tx *store.Tx, run *reckon.Run, held *reckon.Review) (*reckon.Review, error) {
	v, err := tx.LockReview(ctx, held.WorkspaceID, held.ID)
	if err != nil {
		return nil, err
	}
	if v.Status != held.Status || v.OperationRunID != held.OperationRunID {
		return nil, nil
	}
	if v.Status == reckon.ReviewDraft {
		if _, live, err := ownerState(ctx, tx, v); err != nil || live {
			return nil, err
		}
	}
	previous := v.OperationRunID
	v.Status, v.OperationRunID, v.Content, v.ComposedAt = reckon.ReviewDraft, run.ID, nil, nil
	if err := tx.UpdateReview(ctx, v); err != nil {
		return nil, err
	}
	return v, audit(ctx, tx, v, "job", actionTakenOver, reviewAudit{PreviousRunID: previous})
}

// actionTakenOver is the audit action of a takeover; the final step reads it
// to give the run its reason, on whichever delivery finishes.
const actionTakenOver = "review.taken_over"

// snooze waits for another run's draft: until that run's deadline at the
// latest, and never past this run's own deadline — past it, the job stops
// and the reconciler settles the run.
func (w *Worker) snooze(run *reckon.Run, ownerDeadline time.Time) error {
	now := w.svc.clock()
	own := run.DeadlineAt.Sub(now)
	if own <= 0 {
		return nil
	}
	d := min(w.opts.SnoozeInterval, own)
	if until := ownerDeadline.Sub(now) + time.Millisecond; until > 0 {
		d = min(d, until)
	}
	return river.JobSnooze(d)
}
