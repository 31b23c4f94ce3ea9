package operator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

func deliver(ctx context.Context, w *review.Worker, runID int64) error {
	return w.Work(ctx, &river.Job[review.ComposeArgs]{
		JobRow: &rivertype.JobRow{ID: runID, Attempt: 1, MaxAttempts: 25, Kind: review.ComposeArgs{}.Kind()},
		Args:   review.ComposeArgs{RunID: runID},
	})
}

// A compose run cancelled while its job composes: the job stops at its next
// step and leaves its draft, and the retry takes the draft over.
func TestCancelRunningComposeLeavesDraftForRetry(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.New(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		scope := reckontest.NewFixture(t, db).Scope()
		if _, _, err := evidence.NewService(db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-1),
			Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
			Findings: []reckon.Finding{{ControlID: "MS.AAD.1.1", Title: "Legacy auth", Severity: "high", Status: "fail"}}}); err != nil {
			t.Fatal(err)
		}
		res, err := a.Reviews.Compose(ctx, scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		runID := res.Run.ID
		by := operator.Actor{Name: "test"}
		worker := review.NewWorker(a.Reviews, &review.WorkerOptions{Hook: func(step string) error {
			if step != review.StepDraft {
				return nil
			}
			out, err := a.Operator.Cancel(ctx, scope.WorkspaceID, runID, by, "stop")
			if err == nil && (!out.Changed || out.Run.Outcome != reckon.OutcomeCancelled) {
				t.Errorf("cancel while drafting: %+v", out)
			}
			return err
		}})
		if err := deliver(ctx, worker, runID); err != nil {
			t.Fatal(err)
		}
		var draft *reckon.Review
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			draft, err = tx.ReviewOfRun(ctx, scope.WorkspaceID, runID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if draft.Status != reckon.ReviewDraft {
			t.Fatalf("the cancelled run's review is %s, want its draft left", draft.Status)
		}

		out, err := a.Operator.Retry(ctx, scope.WorkspaceID, runID, by, "")
		if err != nil {
			t.Fatal(err)
		}
		if out.Compose != review.ResultQueued || out.Retry == nil || out.Retry.Context.RetryOf != runID {
			t.Fatalf("retry: %+v", out)
		}
		if err := deliver(ctx, review.NewWorker(a.Reviews, nil), out.Retry.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			draft, err = tx.Review(ctx, scope.WorkspaceID, draft.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if draft.Status != reckon.ReviewReady || draft.OperationRunID != out.Retry.ID {
			t.Fatalf("the retry did not take the draft over: %+v", draft)
		}
		tl, err := a.Operator.Events(ctx, scope.WorkspaceID, runID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl.Events {
			kinds = append(kinds, e.Kind)
		}
		if len(kinds) < 4 || kinds[0] != operator.EventCreated || kinds[len(kinds)-1] != operator.EventRetried {
			t.Fatalf("timeline %v", kinds)
		}
		if l := tl.Links; l.DraftTakenOverBy != out.Retry.ID || l.ReviewID != draft.ID || l.RetriedBy != out.Retry.ID {
			t.Fatalf("the cancelled run's links: %+v", l)
		}
		back, err := a.Operator.Events(ctx, scope.WorkspaceID, out.Retry.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := back.Links; l.TookOverFrom != runID || l.RetryOf != runID || l.ReviewID != draft.ID {
			t.Fatalf("the retry's links: %+v", l)
		}
	})
}

func TestNoteIsChecked(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		a, err := app.New(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		scope := reckontest.NewFixture(t, db).Scope()
		long := make([]byte, operator.MaxNoteLength+1)
		for i := range long {
			long[i] = 'x'
		}
		for _, note := range []string{string(long), "bell\a", "nul\x00"} {
			_, err := a.Operator.Acknowledge(context.Background(), scope.WorkspaceID, 1, operator.Actor{}, note)
			if reckon.ErrorCodeOf(err) != reckon.CodeValidation {
				t.Errorf("note %.20q: %v, want a validation error", note, err)
			}
		}
		_, err = a.Operator.Cancel(context.Background(), scope.WorkspaceID, 1<<40, operator.Actor{}, "")
		if reckon.ErrorCodeOf(err) != reckon.CodeNotFound {
			t.Errorf("cancel of a missing run: %v", err)
		}
	})
}

func TestBulkAdapterDecidesFromProgress(t *testing.T) {
	t.Parallel()
	now := reckontest.Epoch()
	run := func(summary string, deadline time.Time) *reckon.Run {
		r := &reckon.Run{ID: 9, WorkspaceID: 1, Type: reckon.RunTypeBulk, Status: reckon.RunRunning, DeadlineAt: deadline}
		if summary != "" {
			r.Summary = json.RawMessage(summary)
		}
		return r
	}
	for _, c := range []struct {
		name     string
		run      *reckon.Run
		want     reckon.Outcome
		deadline bool
	}{
		{"nothing yet", run("", now.Add(-time.Minute)), "", false},
		{"all handled", run(`{"matched": 3, "done": 3}`, now.Add(time.Hour)), reckon.OutcomeSucceeded, false},
		{"some handled, in time", run(`{"matched": 3, "done": 1}`, now.Add(time.Hour)), "", false},
		{"some handled, past the deadline", run(`{"matched": 3, "done": 1}`, now.Add(-time.Minute)), reckon.OutcomePartiallySucceeded, true},
	} {
		d, err := operator.Adapter{}.Reconcile(context.Background(), nil, c.run, now)
		if err != nil || d.Outcome != c.want || d.NeedsDeadline != c.deadline {
			t.Errorf("%s: %+v, %v; want %q", c.name, d, err, c.want)
		}
	}
}
