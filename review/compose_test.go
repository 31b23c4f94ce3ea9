package review_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

func (b *testBundle) runsOf(t *testing.T, scope reckon.Scope) []*reckon.Run {
	t.Helper()
	var runs []*reckon.Run
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		runs, err = tx.ListRuns(context.Background(), &store.RunFilter{WorkspaceID: scope.WorkspaceID,
			EnvironmentID: scope.EnvironmentID, Limit: 1000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestComposeErrors(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		scope := b.fx.Scope()
		if _, err := b.svc.Compose(ctx, scope, 0); codedErr(t, err).Code != reckon.CodeNoEvidence {
			t.Errorf("no evidence: %v", err)
		}
		other := b.fx.Scope()
		b.importSnapshot(t, other, time.Now(), reckontest.Findings())
		foreign := reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: other.EnvironmentID}
		if _, err := b.svc.Compose(ctx, foreign, 0); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("environment of another workspace: %v", err)
		}
		if _, err := b.svc.Refresh(ctx, scope.WorkspaceID, 999999, 0); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("refresh of a missing review: %v", err)
		}
		if len(b.runsOf(t, scope)) != 0 || len(b.runsOf(t, foreign)) != 0 {
			t.Error("a refused compose created a run")
		}
	})
}

// TestComposeEndToEnd drives create → job → ready through the real queue,
// then newer evidence, refresh and publish.
func TestComposeEndToEnd(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		b.start(t)
		user := b.fx.User("x")
		scope := b.fx.Scope()
		s1 := b.importSnapshot(t, scope, db.Now().AddDate(0, -2, 0), []reckon.Finding{
			reckontest.Finding("A", reckon.SeverityHigh, reckon.FindingFail), reckontest.Finding("B", reckon.SeverityLow, reckon.FindingPass)})

		res, err := b.svc.Compose(ctx, scope, user.ID)
		if err != nil || res.Result != review.ResultQueued || res.Run == nil || res.Review != nil {
			t.Fatalf("first compose: %+v %v", res, err)
		}
		if res.Message().Key != "review.result.queued" {
			t.Errorf("message %q", res.Message().Key)
		}
		run1 := b.waitRun(t, scope.WorkspaceID, res.Run.ID)
		if run1.Outcome != reckon.OutcomeSucceeded || reasonOf(run1) != review.ReasonAvailable ||
			run1.Context.Reconciliation.Source != reckon.SourceComposeJob || run1.Context.EvidenceSnapshotID != s1.ID {
			t.Fatalf("run 1 ended %s %q %+v", run1.Outcome, reasonOf(run1), run1.Context)
		}
		assertSafe(t, run1)
		r1, err := b.svc.LatestReview(ctx, scope)
		if err != nil || r1.Status != reckon.ReviewReady || r1.OperationRunID != run1.ID || r1.Fingerprint != run1.Context.Fingerprint ||
			r1.ComposedAt == nil || r1.EvidenceSnapshotID != s1.ID {
			t.Fatalf("review 1: %+v %v", r1, err)
		}
		if ev := run1.Context.Reconciliation.Evidence; ev.ReviewID != r1.ID || ev.ReviewStatus != reckon.ReviewReady {
			t.Errorf("run 1 evidence %+v", ev)
		}
		var c1 review.Content
		if err := json.Unmarshal(r1.Content, &c1); err != nil || c1.Changes != nil || c1.ByStatus.Fail != 1 {
			t.Errorf("review 1 content %s %v", r1.Content, err)
		}

		// Nothing changed: up to date, no run.
		res, err = b.svc.Compose(ctx, scope, user.ID)
		if err != nil || res.Result != review.ResultUpToDate || res.Review == nil || res.Review.ID != r1.ID || res.Run != nil {
			t.Fatalf("second compose: %+v %v", res, err)
		}

		// Newer evidence: a new review, compared with the first, which it supersedes.
		b.importSnapshot(t, scope, db.Now().AddDate(0, -1, 0), []reckon.Finding{
			reckontest.Finding("A", reckon.SeverityHigh, reckon.FindingPass), reckontest.Finding("C", reckon.SeverityLow, reckon.FindingFail)})
		res, err = b.svc.Refresh(ctx, scope.WorkspaceID, r1.ID, user.ID)
		if err != nil || res.Result != review.ResultQueued || res.Run.Context.BaselineSnapshotID != s1.ID {
			t.Fatalf("refresh: %+v %v", res, err)
		}
		run2 := b.waitRun(t, scope.WorkspaceID, res.Run.ID)
		if run2.Outcome != reckon.OutcomeSucceeded {
			t.Fatalf("run 2 %s %q", run2.Outcome, reasonOf(run2))
		}
		r2, _ := b.svc.LatestReview(ctx, scope)
		r1, _ = b.svc.Review(ctx, scope.WorkspaceID, r1.ID)
		if r2.Status != reckon.ReviewReady || r1.Status != reckon.ReviewSuperseded || r1.SupersededByReviewID != r2.ID {
			t.Fatalf("after newer evidence: %s, %s", describe(r1), describe(r2))
		}
		var c2 review.Content
		if err := json.Unmarshal(r2.Content, &c2); err != nil || c2.Changes == nil ||
			len(c2.Changes.Resolved) != 1 || len(c2.Changes.Added) != 1 || len(c2.Changes.Removed) != 1 {
			t.Errorf("review 2 content %s %v", r2.Content, err)
		}

		// Published is up to date too; refresh from the old review finds it.
		if _, err := b.svc.Publish(ctx, scope.WorkspaceID, r2.ID, user.ID); err != nil {
			t.Fatal(err)
		}
		res, err = b.svc.Refresh(ctx, scope.WorkspaceID, r1.ID, user.ID)
		if err != nil || res.Result != review.ResultUpToDate || res.Review.ID != r2.ID || res.Review.Status != reckon.ReviewPublished {
			t.Fatalf("refresh after publish: %+v %v", res, err)
		}
		if runs := b.runsOf(t, scope); len(runs) != 2 {
			t.Errorf("%d runs, want 2", len(runs))
		}
	})
}

// TestComposeConcurrentCallers: 50 callers at once on one environment, first
// with no worker, then while the job runs.
func TestComposeConcurrentCallers(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db, &review.WorkerOptions{Delay: 200 * time.Millisecond})
		scope := b.fx.Scope()
		b.importSnapshot(t, scope, time.Now(), reckontest.Findings())
		hammer := func() map[review.Result]int {
			const callers = 50
			results := make([]*review.ComposeResult, callers)
			errs := make([]error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() { results[i], errs[i] = b.svc.Compose(context.Background(), scope, 0) })
			}
			wg.Wait()
			counts := map[review.Result]int{}
			for i := range callers {
				if errs[i] != nil {
					t.Fatalf("caller %d: %v", i, errs[i])
				}
				r := results[i]
				switch r.Result {
				case review.ResultQueued, review.ResultAlreadyRunning:
					if r.Run == nil {
						t.Fatalf("caller %d: %s without a run", i, r.Result)
					}
				case review.ResultUpToDate:
					if r.Review == nil {
						t.Fatalf("caller %d: up to date without a review", i)
					}
				default:
					t.Fatalf("caller %d: result %q", i, r.Result)
				}
				counts[r.Result]++
			}
			return counts
		}
		counts := hammer()
		if counts[review.ResultQueued] != 1 || counts[review.ResultAlreadyRunning] != 49 {
			t.Errorf("before any worker: %v", counts)
		}
		runs := b.runsOf(t, scope)
		if len(runs) != 1 || len(b.reviews(t, scope)) != 0 {
			t.Fatalf("%d runs and %d reviews, want 1 and 0", len(runs), len(b.reviews(t, scope)))
		}
		b.start(t)
		for b.run(t, scope.WorkspaceID, runs[0].ID).Status != reckon.RunCompleted {
			counts = hammer()
			if counts[review.ResultQueued] != 0 {
				t.Fatalf("a second run was queued while the first was active: %v", counts)
			}
		}
		counts = hammer()
		if counts[review.ResultUpToDate] != 50 {
			t.Errorf("after the run: %v", counts)
		}
		if runs := b.runsOf(t, scope); len(runs) != 1 || runs[0].Outcome != reckon.OutcomeSucceeded {
			t.Errorf("runs %d", len(runs))
		}
		if reviews := b.reviews(t, scope); len(reviews) != 1 || reviews[0].Status != reckon.ReviewReady {
			t.Errorf("reviews %v", reviews)
		}
	})
}

// TestTwoRunsOneFingerprint: two runs created directly for the same
// fingerprint, both jobs released together.
func TestTwoRunsOneFingerprint(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db, &review.WorkerOptions{Delay: 100 * time.Millisecond, SnoozeInterval: 50 * time.Millisecond})
		scope := b.fx.Scope()
		snap := b.importSnapshot(t, scope, time.Now(), reckontest.Findings())
		runA := b.ensureRun(t, scope, snap, "#a")
		runB := b.ensureRun(t, scope, snap, "#b")
		if runA.ID == runB.ID || runA.Context.Fingerprint != runB.Context.Fingerprint {
			t.Fatal("want two runs of one fingerprint")
		}
		b.start(t)
		runA = b.waitRun(t, scope.WorkspaceID, runA.ID)
		runB = b.waitRun(t, scope.WorkspaceID, runB.ID)
		reviews := b.reviews(t, scope)
		if len(reviews) != 1 || reviews[0].Status != reckon.ReviewReady {
			t.Fatalf("reviews: %v", reviews)
		}
		ready := reviews[0]
		composer, other := runA, runB
		if ready.OperationRunID == runB.ID {
			composer, other = runB, runA
		}
		if ready.OperationRunID != composer.ID {
			t.Fatalf("the ready review is linked to run %d", ready.OperationRunID)
		}
		if composer.Outcome != reckon.OutcomeSucceeded || reasonOf(composer) != review.ReasonAvailable {
			t.Errorf("composing run: %s %q", composer.Outcome, reasonOf(composer))
		}
		if r := reasonOf(other); other.Outcome != reckon.OutcomeSucceeded ||
			(r != review.ReasonReusedExisting && r != review.ReasonDuplicateRecovered) {
			t.Errorf("other run: %s %q", other.Outcome, r)
		}
		for _, run := range []*reckon.Run{runA, runB} {
			rec := run.Context.Reconciliation
			if rec == nil || rec.Source != reckon.SourceComposeJob || rec.Adapter != review.AdapterName ||
				rec.Decision != run.Outcome || rec.ReconciledAt.IsZero() || rec.Evidence.ReviewID != ready.ID ||
				rec.Evidence.WorkspaceID != scope.WorkspaceID || rec.Evidence.EnvironmentID != scope.EnvironmentID ||
				rec.Evidence.Fingerprint != ready.Fingerprint || len(rec.Evidence.ConsideredReviewIDs) == 0 || run.Failure != nil {
				t.Errorf("run %d metadata %+v", run.ID, rec)
			}
			assertSafe(t, run)
		}
	})
}
