package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// ComposeArgs is the queue job that executes a compose run.
type ComposeArgs struct {
	RunID int64 `json:"run_id"`
}

// Kind is the job's kind in the queue.
func (ComposeArgs) Kind() string { return string(reckon.RunTypeReviewCompose) }

// Steps of the compose job. A Hook is called after each one; a hook error
// stops the job there, as a crash would, and the queue delivers it again.
const (
	// StepRunning: the run is marked running and its truth resolved.
	StepRunning = "running"
	// StepDraft: the run's draft review is inserted, recovered or taken over.
	StepDraft = "draft"
	// StepComposed: the content is composed, not yet saved.
	StepComposed = "composed"
	// StepCompleted: the review is ready (or superseded) and the run
	// completed, in one transaction.
	StepCompleted = "completed"
)

// WorkerOptions tune the compose job.
type WorkerOptions struct {
	// Hook, when set, is called after each step (Step*) with the step's
	// name; an error stops the job there. A seam for tests.
	Hook func(step string) error
	// Delay makes the job wait this long while its review is a draft, before
	// composing. It widens the window in which a crash leaves a draft
	// behind, for tests and demonstrations; 0 in production.
	Delay time.Duration
	// SnoozeInterval is how long the job waits before looking again at a
	// draft that another live run is composing (default 5s). The wait never
	// reaches past the run's own deadline.
	SnoozeInterval time.Duration
	Logger         *slog.Logger
}

// Worker executes compose runs (docs/design.md §6, steps 1–5). Every step is safe
// to repeat: the queue delivers a job at least once.
type Worker struct {
	river.WorkerDefaults[ComposeArgs]
	svc  *Service
	opts WorkerOptions
}

// NewWorker returns the compose job's worker.
func NewWorker(svc *Service, opts *WorkerOptions) *Worker {
	w := &Worker{svc: svc}
	if opts != nil {
		w.opts = *opts
	}
	if w.opts.SnoozeInterval <= 0 {
		w.opts.SnoozeInterval = 5 * time.Second
	}
	if w.opts.Logger == nil {
		w.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return w
}

// Register wires reviews into a process, as restore.Register does: the job
// that executes compose runs, the adapter that reconciles them, and — when
// the process works jobs (workers is not nil) — the job's worker, which it
// returns (nil otherwise).
func Register(cat *catalog.Catalog, workers *river.Workers, svc *Service, opts *WorkerOptions) *Worker {
	cat.SetJob(reckon.RunTypeReviewCompose, func(runID int64) river.JobArgs { return ComposeArgs{RunID: runID} })
	cat.RegisterAdapter(Adapter{})
	if workers == nil {
		return nil
	}
	w := NewWorker(svc, opts)
	river.AddWorker(workers, w)
	return w
}

// Timeout bounds one attempt by the run type's job timeout, which the
// catalog keeps shorter than the running deadline.
func (w *Worker) Timeout(*river.Job[ComposeArgs]) time.Duration {
	if rt, ok := w.svc.catalog.Lookup(reckon.RunTypeReviewCompose); ok {
		return rt.JobTimeout
	}
	return 0
}

// permanentError is a failure that another attempt cannot mend.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// errLostDraft: another run took the draft over while this one composed.
var errLostDraft = errors.New("review: the draft was taken over by another run")

// Work executes one delivery of a compose run. A permanent failure, or any
// failure on the last attempt, fails the review and the run with a safe
// reason (step 5); other failures are returned for the queue to retry.
func (w *Worker) Work(ctx context.Context, job *river.Job[ComposeArgs]) error {
	runID := job.Args.RunID
	err := w.work(ctx, runID)
	var snooze *river.JobSnoozeError
	if err == nil || errors.As(err, &snooze) {
		return err
	}
	var perm *permanentError
	last := job.JobRow != nil && job.Attempt >= job.MaxAttempts
	if !errors.As(err, &perm) && !last {
		w.opts.Logger.WarnContext(ctx, "compose job attempt failed; it will be retried", "run_id", runID, "error", err)
		return err
	}
	w.opts.Logger.ErrorContext(ctx, "compose job failed", "run_id", runID, "error", err)
	if ferr := w.fail(ctx, runID); ferr != nil {
		return errors.Join(err, ferr)
	}
	return nil
}

func (w *Worker) hook(step string) error {
	if w.opts.Hook == nil {
		return nil
	}
	return w.opts.Hook(step)
}

func (w *Worker) work(ctx context.Context, runID int64) error {
	s := w.svc
	// Steps 1–2: nothing to do for a completed run or one already past its
	// deadline (the reconciler's); else mark it running and apply what the
	// resolver can prove without a deadline.
	var run *reckon.Run
	done := false
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
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
		return s.settle(ctx, tx, run.ID, d, reason)
	})
	if err != nil {
		return err
	}
	if err := w.hook(StepRunning); err != nil || done {
		return err
	}

	// Step 3: a draft linked to this run.
	draft, err := w.draft(ctx, run)
	if err != nil || draft == nil {
		return err
	}
	if err := w.hook(StepDraft); err != nil {
		return err
	}
	if w.opts.Delay > 0 {
		t := time.NewTimer(w.opts.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}

	// Step 4: compose from the snapshots, then save in one transaction.
	snap, content, err := w.compose(ctx, run)
	if err != nil {
		return err
	}
	if err := w.hook(StepComposed); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error { return w.finish(ctx, tx, run.ID, draft.ID, snap, content) })
	if errors.Is(err, errLostDraft) {
		return w.snooze(run, run.DeadlineAt)
	}
	if err != nil {
		return err
	}
	return w.hook(StepCompleted)
}

// draft inserts the run's draft review or recovers from the review the
// uniqueness index holds (docs/design.md §6 step 3). It returns nil and no error
// when the run was settled, and a snooze error to wait for another run.
func (w *Worker) draft(ctx context.Context, run *reckon.Run) (draft *reckon.Review, err error) {
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
					return s.settle(ctx, tx, run.ID, d, ReasonDuplicateRecovered)
				case d.Settles():
					// Several current reviews of the fingerprint: ambiguous.
					return s.settle(ctx, tx, run.ID, d, d.ReasonCode)
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

// finish is the final transaction: the run's row is locked first, so a run
// the reconciler settled meanwhile stays as it is (and the draft stays, for
// the next compose to take over); then the review becomes ready — or
// superseded at once when newer evidence already has a current review —
// older reviews are superseded, and the run completes from the resolver's
// reading of the rows just written.
func (w *Worker) finish(ctx context.Context, tx *store.Tx, runID, draftID int64, snap *reckon.Snapshot, content json.RawMessage) error {
	s := w.svc
	run, err := tx.LockRun(ctx, runID)
	if err != nil {
		return err
	}
	if run.Status == reckon.RunCompleted {
		w.opts.Logger.InfoContext(ctx, "compose run was settled while composing; its draft stays", "run_id", runID, "review_id", draftID)
		return nil
	}
	scope := run.Scope()
	if err := tx.LockEnvironment(ctx, scope); err != nil {
		return err
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
	return s.settle(ctx, tx, run.ID, d, reason)
}

// tookOver reports whether run took review over from another run.
func tookOver(ctx context.Context, tx *store.Tx, workspaceID, reviewID, runID int64) (bool, error) {
	events, err := tx.AuditEvents(ctx, workspaceID, "environment_review", reviewID)
	if err != nil {
		return false, err
	}
	for _, e := range events {
		if e.Action != actionTakenOver {
			continue
		}
		var m reviewAudit
		if json.Unmarshal(e.Metadata, &m) == nil && m.RunID == runID {
			return true, nil
		}
	}
	return false, nil
}

// fail is step 5: the run's draft becomes failed and the run completes
// failed with a safe reason code. A run already completed is left alone.
func (w *Worker) fail(ctx context.Context, runID int64) error {
	s := w.svc
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		run, err := tx.LockRun(ctx, runID)
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
			return s.settle(ctx, tx, run.ID, d, d.ReasonCode)
		}
		// No review of this run shows the failure, or its draft is now
		// failed: the run fails with the same safe reason either way.
		d.Outcome = reckon.OutcomeFailed
		d.NeedsDeadline = false
		return s.settle(ctx, tx, run.ID, d, ReasonComposeFailed)
	})
}

// settle completes a run from a resolver decision, with the docs/design.md §4 metadata.
func (s *Service) settle(ctx context.Context, tx *store.Tx, runID int64, d reckon.Decision, reason string) error {
	rec := reckon.Reconciliation{Source: reckon.SourceComposeJob, Adapter: AdapterName, Decision: d.Outcome,
		ReasonCode: reason, ReconciledAt: tx.Now(), Evidence: d.Evidence}
	_, _, err := s.ledger.Complete(ctx, tx, runID, &ledger.Completion{Outcome: d.Outcome, ReasonCode: reason,
		Reconciliation: &rec, Actor: "job"})
	return err
}
