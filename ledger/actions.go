package ledger

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// jobCanceller is an Enqueuer that can also cancel the jobs it inserted.
type jobCanceller interface {
	CancelTx(ctx context.Context, tx *store.Tx, jobID int64) error
}

// Cancel ends a queued or running run as cancelled (reason run.cancelled)
// and cancels its queue job in the same transaction, so that the run and
// its job never disagree. A job that is already running stops at its next
// step, which finds the run completed. A completed run is left as it is:
// changed is false.
func (l *Ledger) Cancel(ctx context.Context, tx *store.Tx, runID int64, actor, note string) (*reckon.Run, bool, error) {
	run, changed, err := l.Complete(ctx, tx, runID, &Completion{Outcome: reckon.OutcomeCancelled,
		ReasonCode: reckon.ReasonCancelled, Actor: actor, Note: note})
	if err != nil || !changed || run.JobID == 0 {
		return run, changed, err
	}
	c, ok := l.enqueuer.(jobCanceller)
	if !ok {
		return nil, false, fmt.Errorf("ledger: no queue to cancel the job of run %d", runID)
	}
	if err := c.CancelTx(ctx, tx, run.JobID); err != nil {
		return nil, false, err
	}
	return run, true, nil
}

// Acknowledgeable reports whether an operator may acknowledge the run: it
// ended failed or blocked.
func Acknowledgeable(run *reckon.Run) bool {
	return run.Status == reckon.RunCompleted &&
		(run.Outcome == reckon.OutcomeFailed || run.Outcome == reckon.OutcomeBlocked)
}

// actionMetadata is what the audit trail records of an operator action.
type actionMetadata struct {
	Note      string `json:"note,omitempty"`
	RetryOf   int64  `json:"retry_of,omitempty"`
	RetriedBy int64  `json:"retried_by,omitempty"`
	ReviewID  int64  `json:"review_id,omitempty"`
}

// Acknowledge records that an operator has seen to a failed or blocked run,
// with one audit event. The run itself does not change; a second
// acknowledgement changes nothing.
func (l *Ledger) Acknowledge(ctx context.Context, tx *store.Tx, runID int64, actor, note string) (*reckon.Run, bool, error) {
	run, err := tx.LockRun(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: load run %d: %w", runID, err)
	}
	if !Acknowledgeable(run) {
		return nil, false, fmt.Errorf("%w: run %d is %s %s", ErrInvalidTransition, runID, run.Status, run.Outcome)
	}
	created, err := tx.InsertRunAcknowledgement(ctx, &store.RunAcknowledgement{RunID: run.ID,
		WorkspaceID: run.WorkspaceID, Actor: actor, Note: note})
	if err != nil || !created {
		return run, false, err
	}
	return run, true, l.audit(ctx, tx, run, actor, "run.acknowledged", actionMetadata{Note: note})
}

// Retryable reports whether a run may be retried: it ended failed, blocked
// or cancelled.
func Retryable(run *reckon.Run) bool {
	return run.Status == reckon.RunCompleted && (run.Outcome == reckon.OutcomeFailed ||
		run.Outcome == reckon.OutcomeBlocked || run.Outcome == reckon.OutcomeCancelled)
}

// LinkRetry records that retry retries original, both ways, with one audit
// event on the original. The links are the only change a completed run
// takes. The caller holds original's row lock (LockRun) and has checked
// that it is retryable and not yet retried.
func (l *Ledger) LinkRetry(ctx context.Context, tx *store.Tx, original, retry *reckon.Run, actor, note string) error {
	return l.linkRetry(ctx, tx, original, retry, actor, "run.retried", actionMetadata{Note: note, RetriedBy: retry.ID})
}

// linkRetry writes the links of a retry both ways and the audit event
// that records why (action, with meta).
func (l *Ledger) linkRetry(ctx context.Context, tx *store.Tx, original, retry *reckon.Run, actor, action string, meta actionMetadata) error {
	if !Retryable(original) || original.Context.RetriedBy != 0 || original.WorkspaceID != retry.WorkspaceID {
		return fmt.Errorf("%w: run %d cannot be retried by run %d", ErrInvalidTransition, original.ID, retry.ID)
	}
	original.Context.RetriedBy = retry.ID
	if err := tx.SetRunContext(ctx, original.ID, original.Context); err != nil {
		return err
	}
	// A run found active (a compose of the same evidence) may already
	// retry another run: it keeps its first link.
	if retry.Context.RetryOf == 0 {
		retry.Context.RetryOf = original.ID
		if err := tx.SetRunContext(ctx, retry.ID, retry.Context); err != nil {
			return err
		}
	}
	return l.audit(ctx, tx, original, actor, action, meta)
}

func (l *Ledger) audit(ctx context.Context, tx *store.Tx, run *reckon.Run, actor, action string, meta actionMetadata) error {
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &store.AuditEvent{WorkspaceID: run.WorkspaceID, Actor: actor, Action: action,
		SubjectType: "operation_run", SubjectID: run.ID, Metadata: b})
}

// Progress records an active run's summary while it works (a bulk run's
// counts so far). A completed run is left as it is: changed is false.
func (l *Ledger) Progress(ctx context.Context, tx *store.Tx, runID int64, summary json.RawMessage) (bool, error) {
	if !json.Valid(summary) {
		return false, fmt.Errorf("%w: summary is not valid JSON", ErrInvalidTransition)
	}
	run, err := tx.LockRun(ctx, runID)
	if err != nil {
		return false, fmt.Errorf("ledger: load run %d: %w", runID, err)
	}
	if !run.Status.Active() {
		return false, nil
	}
	run.Summary = summary
	return true, tx.UpdateRun(ctx, run)
}
