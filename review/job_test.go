package review_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

var errCrash = errors.New("crash")

// crashAt returns a worker that stops after step.
func (b *testBundle) crashAt(step string) *review.Worker {
	return review.NewWorker(b.svc, &review.WorkerOptions{Hook: func(s string) error {
		if s == step {
			return errCrash
		}
		return nil
	}})
}

// finalRows is what a run and its review end as, without ids and times.
type finalRows struct {
	status     reckon.RunStatus
	outcome    reckon.Outcome
	reason     string
	considered int
	reviews    []reckon.ReviewStatus
	content    []byte
	completed  int // run.completed audit events
}

func (b *testBundle) finalRows(t *testing.T, scope reckon.Scope, runID int64) finalRows {
	t.Helper()
	run := b.run(t, scope.WorkspaceID, runID)
	f := finalRows{status: run.Status, outcome: run.Outcome, reason: reasonOf(run)}
	if run.Context.Reconciliation != nil {
		f.considered = len(run.Context.Reconciliation.Evidence.ConsideredReviewIDs)
	}
	for _, v := range b.reviews(t, scope) {
		f.reviews = append(f.reviews, v.Status)
		full, err := b.svc.Review(context.Background(), scope.WorkspaceID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.content = full.Content
	}
	_ = b.db.InTx(context.Background(), func(tx *store.Tx) error {
		events, err := tx.AuditEvents(context.Background(), scope.WorkspaceID, "operation_run", runID)
		for _, e := range events {
			if e.Action == "run.completed" {
				f.completed++
			}
		}
		return err
	})
	return f
}

func (f finalRows) equal(o finalRows) bool {
	if len(f.reviews) != len(o.reviews) {
		return false
	}
	for i := range f.reviews {
		if f.reviews[i] != o.reviews[i] {
			return false
		}
	}
	return f.status == o.status && f.outcome == o.outcome && f.reason == o.reason && f.considered == o.considered &&
		bytes.Equal(f.content, o.content) && f.completed == o.completed
}

// TestJobStoppedBetweenSteps stops the job after each step and delivers it
// again: every path converges to the rows of an uninterrupted job.
func TestJobStoppedBetweenSteps(t *testing.T) {
	t.Parallel()
	clock := reckontest.EpochClock()
	reckontest.EachEngineAt(t, clock.Now, func(t *testing.T, db *store.DB) {
		b := setup(t, db, nil)
		at := reckontest.Epoch().AddDate(0, 0, -27)
		prepare := func() (reckon.Scope, *reckon.Run) {
			scope := b.fx.Scope()
			snap := b.importSnapshot(t, scope, at, reckontest.Findings())
			return scope, b.ensureRun(t, scope, snap, "")
		}
		scope, run := prepare()
		if err := deliver(b.worker, run.ID, 1); err != nil {
			t.Fatal(err)
		}
		want := b.finalRows(t, scope, run.ID)
		if want.outcome != reckon.OutcomeSucceeded || want.reason != review.ReasonAvailable || want.completed != 1 ||
			len(want.reviews) != 1 || want.reviews[0] != reckon.ReviewReady || len(want.content) == 0 {
			t.Fatalf("uninterrupted job: %+v", want)
		}
		for _, step := range []string{review.StepRunning, review.StepDraft, review.StepComposed, review.StepCompleted} {
			t.Run(step, func(t *testing.T) {
				scope, run := prepare()
				if err := deliver(b.crashAt(step), run.ID, 1); !errors.Is(err, errCrash) {
					t.Fatalf("stopped delivery returned %v", err)
				}
				if step != review.StepCompleted {
					if r := b.run(t, scope.WorkspaceID, run.ID); r.Status != reckon.RunRunning {
						t.Fatalf("after stopping at %s the run is %s", step, r.Status)
					}
				}
				for attempt := 2; attempt <= 3; attempt++ {
					if err := deliver(b.worker, run.ID, attempt); err != nil {
						t.Fatalf("delivery %d: %v", attempt, err)
					}
					if got := b.finalRows(t, scope, run.ID); !got.equal(want) {
						t.Fatalf("after delivery %d: %+v, want %+v", attempt, got, want)
					}
				}
			})
		}
	})
}

// TestOutOfOrderCompletion: newest evidence wins whatever order the jobs
// finish in.
func TestOutOfOrderCompletion(t *testing.T) {
	t.Parallel()
	clock := reckontest.EpochClock()
	reckontest.EachEngineAt(t, clock.Now, func(t *testing.T, db *store.DB) {
		b := setup(t, db, nil)
		for _, newerFirst := range []bool{true, false} {
			scope := b.fx.Scope()
			older := b.importSnapshot(t, scope, reckontest.Epoch().AddDate(0, -2, 0), reckontest.Findings())
			newer := b.importSnapshot(t, scope, reckontest.Epoch().AddDate(0, -1, 0), reckontest.Findings()[:4])
			runOld := b.ensureRun(t, scope, older, "")
			runNew := b.ensureRun(t, scope, newer, "")
			// The older job gets as far as composing, then the newer one
			// runs through; the older one finishes last.
			first, second := runOld, runNew
			if newerFirst {
				if err := deliver(b.crashAt(review.StepComposed), runOld.ID, 1); !errors.Is(err, errCrash) {
					t.Fatal(err)
				}
				first, second = runNew, runOld
			}
			for _, r := range []*reckon.Run{first, second} {
				if err := deliver(b.worker, r.ID, 2); err != nil {
					t.Fatal(err)
				}
			}
			reviews := b.reviews(t, scope)
			if len(reviews) != 2 {
				t.Fatalf("%d reviews", len(reviews))
			}
			var oldR, newR *reckon.Review
			for _, v := range reviews {
				if v.EvidenceSnapshotID == older.ID {
					oldR = v
				} else {
					newR = v
				}
			}
			if newR.Status != reckon.ReviewReady || oldR.Status != reckon.ReviewSuperseded || oldR.SupersededByReviewID != newR.ID {
				t.Errorf("newer first=%v: %s, %s", newerFirst, describe(oldR), describe(newR))
			}
			runOld, runNew = b.run(t, scope.WorkspaceID, runOld.ID), b.run(t, scope.WorkspaceID, runNew.ID)
			wantOld := review.ReasonAvailable
			if newerFirst {
				wantOld = review.ReasonAvailableSuperseded
			}
			if runOld.Outcome != reckon.OutcomeSucceeded || reasonOf(runOld) != wantOld ||
				runNew.Outcome != reckon.OutcomeSucceeded || reasonOf(runNew) != review.ReasonAvailable {
				t.Errorf("newer first=%v: old run %s %q, new run %s %q", newerFirst,
					runOld.Outcome, reasonOf(runOld), runNew.Outcome, reasonOf(runNew))
			}
		}
	})
}

func TestJobRecovery(t *testing.T) {
	t.Parallel()
	clock := reckontest.EpochClock()
	reckontest.EachEngineAt(t, clock.Now, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		at := reckontest.Epoch().AddDate(0, 0, -27)
		prepare := func() (reckon.Scope, *reckon.Snapshot) {
			scope := b.fx.Scope()
			return scope, b.importSnapshot(t, scope, at, reckontest.Findings())
		}
		only := func(t *testing.T, scope reckon.Scope) *reckon.Review {
			t.Helper()
			reviews := b.reviews(t, scope)
			if len(reviews) != 1 {
				t.Fatalf("%d reviews, want 1", len(reviews))
			}
			return reviews[0]
		}

		t.Run("takes over the draft of an overdue run", func(t *testing.T) {
			scope, snap := prepare()
			runA := b.ensureRun(t, scope, snap, "#a")
			if err := deliver(b.crashAt(review.StepDraft), runA.ID, 1); !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			clock.Advance(31 * time.Minute) // past A's running deadline
			runB := b.ensureRun(t, scope, snap, "#b")
			if err := deliver(b.worker, runB.ID, 1); err != nil {
				t.Fatal(err)
			}
			v := only(t, scope)
			runB = b.run(t, scope.WorkspaceID, runB.ID)
			if v.Status != reckon.ReviewReady || v.OperationRunID != runB.ID ||
				runB.Outcome != reckon.OutcomeSucceeded || reasonOf(runB) != review.ReasonTookOverStaleDraft {
				t.Fatalf("%s; run B %s %q", describe(v), runB.Outcome, reasonOf(runB))
			}
			// A's job, delivered again, does not compose past its deadline;
			// the resolver proves A from B's review for the reconciler.
			if err := deliver(b.worker, runA.ID, 2); err != nil {
				t.Fatal(err)
			}
			runA = b.run(t, scope.WorkspaceID, runA.ID)
			if runA.Status != reckon.RunRunning {
				t.Fatalf("run A is %s", runA.Status)
			}
			var d reckon.Decision
			_ = db.InTx(ctx, func(tx *store.Tx) (err error) {
				d, err = review.Resolve(ctx, tx, runA, clock.Now())
				return err
			})
			if d.Outcome != reckon.OutcomeSucceeded || d.ReasonCode != review.ReasonAvailable || d.Evidence.ReviewID != v.ID {
				t.Errorf("run A resolves to %+v", d)
			}
		})

		t.Run("takes over a failed review", func(t *testing.T) {
			scope, snap := prepare()
			runA := b.ensureRun(t, scope, snap, "#a")
			failed := b.putReview(t, scope, snap.ID, runA.Context.Fingerprint, runA.ID, reckon.ReviewFailed)
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, _, err := b.ledger.Complete(ctx, tx, runA.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed,
					ReasonCode: review.ReasonComposeFailed, Actor: "job"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			runB := b.ensureRun(t, scope, snap, "#b")
			if err := deliver(b.worker, runB.ID, 1); err != nil {
				t.Fatal(err)
			}
			v := only(t, scope)
			runB = b.run(t, scope.WorkspaceID, runB.ID)
			if v.ID != failed.ID || v.Status != reckon.ReviewReady || v.OperationRunID != runB.ID ||
				reasonOf(runB) != review.ReasonTookOverStaleDraft {
				t.Fatalf("%s; run B %q", describe(v), reasonOf(runB))
			}
		})

		t.Run("waits for the draft of a live run, within its own deadline", func(t *testing.T) {
			scope, snap := prepare()
			runA := b.ensureRun(t, scope, snap, "#a")
			if err := deliver(b.crashAt(review.StepDraft), runA.ID, 1); !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			runB := b.ensureRun(t, scope, snap, "#b")
			patient := review.NewWorker(b.svc, &review.WorkerOptions{SnoozeInterval: 24 * time.Hour})
			err := deliver(patient, runB.ID, 1)
			var snooze *river.JobSnoozeError
			if !errors.As(err, &snooze) {
				t.Fatalf("want a snooze, got %v", err)
			}
			runB = b.run(t, scope.WorkspaceID, runB.ID)
			if left := runB.DeadlineAt.Sub(clock.Now()); snooze.Duration <= 0 || snooze.Duration > left {
				t.Errorf("snoozed %s with %s left before the deadline", snooze.Duration, left)
			}
			if v := only(t, scope); v.OperationRunID != runA.ID || v.Status != reckon.ReviewDraft {
				t.Fatalf("the waiting run touched the draft: %s", describe(v))
			}
			// A finishes; B, delivered again, reuses its review.
			if err := deliver(b.worker, runA.ID, 2); err != nil {
				t.Fatal(err)
			}
			if err := deliver(b.worker, runB.ID, 1); err != nil {
				t.Fatal(err)
			}
			runB = b.run(t, scope.WorkspaceID, runB.ID)
			if v := only(t, scope); v.Status != reckon.ReviewReady || runB.Outcome != reckon.OutcomeSucceeded ||
				reasonOf(runB) != review.ReasonReusedExisting {
				t.Fatalf("%s; run B %s %q", describe(v), runB.Outcome, reasonOf(runB))
			}
		})

		t.Run("recovers a duplicate that became ready meanwhile", func(t *testing.T) {
			scope, snap := prepare()
			runA := b.ensureRun(t, scope, snap, "#a")
			runB := b.ensureRun(t, scope, snap, "#b")
			racer := review.NewWorker(b.svc, &review.WorkerOptions{Hook: func(step string) error {
				if step == review.StepRunning {
					return deliver(b.worker, runA.ID, 1) // A completes between B's steps 2 and 3
				}
				return nil
			}})
			if err := deliver(racer, runB.ID, 1); err != nil {
				t.Fatal(err)
			}
			runB = b.run(t, scope.WorkspaceID, runB.ID)
			v := only(t, scope)
			if v.OperationRunID != runA.ID || v.Status != reckon.ReviewReady || runB.Outcome != reckon.OutcomeSucceeded ||
				reasonOf(runB) != review.ReasonDuplicateRecovered || runB.Context.Reconciliation.Evidence.ReviewID != v.ID {
				t.Fatalf("%s; run B %s %q", describe(v), runB.Outcome, reasonOf(runB))
			}
			assertSafe(t, runB)
		})

		t.Run("does not compose a run past its deadline", func(t *testing.T) {
			scope, snap := prepare()
			run := b.ensureRun(t, scope, snap, "")
			clock.Advance(16 * time.Minute) // past the queued deadline
			if err := deliver(b.worker, run.ID, 1); err != nil {
				t.Fatal(err)
			}
			if r := b.run(t, scope.WorkspaceID, run.ID); r.Status != reckon.RunQueued || len(b.reviews(t, scope)) != 0 {
				t.Fatalf("run %s, %d reviews", r.Status, len(b.reviews(t, scope)))
			}
		})

		t.Run("leaves the draft of a run settled meanwhile", func(t *testing.T) {
			scope, _ := prepare()
			user := b.fx.User("x")
			res, err := b.svc.Compose(ctx, scope, user.ID)
			if err != nil {
				t.Fatal(err)
			}
			settled := review.NewWorker(b.svc, &review.WorkerOptions{Hook: func(step string) error {
				if step != review.StepComposed {
					return nil
				}
				// The reconciler settles the run while the job composes.
				return db.InTx(ctx, func(tx *store.Tx) error {
					_, _, err := b.ledger.Complete(ctx, tx, res.Run.ID, &ledger.Completion{
						Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleRunning, Actor: "reconciler"})
					return err
				})
			}})
			if err := deliver(settled, res.Run.ID, 1); err != nil {
				t.Fatal(err)
			}
			v := only(t, scope)
			if run := b.run(t, scope.WorkspaceID, res.Run.ID); v.Status != reckon.ReviewDraft || v.OperationRunID != run.ID ||
				run.Outcome != reckon.OutcomeFailed || reasonOf(run) != "" {
				t.Fatalf("%s; run %s %q", describe(v), run.Outcome, reasonOf(run))
			}
			// The next compose takes the draft over.
			res2, err := b.svc.Compose(ctx, scope, user.ID)
			if err != nil || res2.Result != review.ResultQueued {
				t.Fatalf("%+v %v", res2, err)
			}
			if err := deliver(b.worker, res2.Run.ID, 1); err != nil {
				t.Fatal(err)
			}
			run2 := b.run(t, scope.WorkspaceID, res2.Run.ID)
			if v2 := only(t, scope); v2.ID != v.ID || v2.Status != reckon.ReviewReady || v2.OperationRunID != run2.ID ||
				reasonOf(run2) != review.ReasonTookOverStaleDraft {
				t.Fatalf("%s; run %q", describe(v2), reasonOf(run2))
			}
		})

		t.Run("fails the review and the run with a safe reason", func(t *testing.T) {
			scope, snap := prepare()
			_, otherSnap := prepare()
			run := b.ensureRun(t, scope, snap, "")
			// A run that names evidence of another environment cannot compose.
			_ = db.InTx(ctx, func(tx *store.Tx) error {
				r, err := tx.LockRun(ctx, run.ID)
				if err != nil {
					return err
				}
				r.Context.EvidenceSnapshotID = otherSnap.ID
				return tx.UpdateRun(ctx, r)
			})
			if err := deliver(b.worker, run.ID, 1); err != nil {
				t.Fatal(err)
			}
			run = b.run(t, scope.WorkspaceID, run.ID)
			v := only(t, scope)
			if v.Status != reckon.ReviewFailed || run.Outcome != reckon.OutcomeFailed || run.Failure == nil ||
				run.Failure.ReasonCode != review.ReasonComposeFailed || reasonOf(run) != review.ReasonComposeFailed ||
				run.Context.Reconciliation.Evidence.ReviewID != v.ID {
				t.Fatalf("%s; run %s %+v %q", describe(v), run.Outcome, run.Failure, reasonOf(run))
			}
			assertSafe(t, run)
		})

		t.Run("fails on the last attempt", func(t *testing.T) {
			scope, snap := prepare()
			run := b.ensureRun(t, scope, snap, "")
			if err := deliver(b.crashAt(review.StepDraft), run.ID, 25); err != nil {
				t.Fatalf("the last attempt returned %v", err)
			}
			run = b.run(t, scope.WorkspaceID, run.ID)
			if v := only(t, scope); v.Status != reckon.ReviewFailed || run.Outcome != reckon.OutcomeFailed ||
				reasonOf(run) != review.ReasonComposeFailed {
				t.Fatalf("%s; run %s %q", describe(v), run.Outcome, reasonOf(run))
			}
			assertSafe(t, run)
		})
	})
}
