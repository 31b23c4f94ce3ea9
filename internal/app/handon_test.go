package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// quickLiveness detects a dead node within a second, for tests.
var quickLiveness = catalog.Liveness{Interval: 100 * time.Millisecond, DeadAfter: 300 * time.Millisecond}

func workingApp(t *testing.T, db *store.DB, delay time.Duration) *app.App {
	t.Helper()
	a, err := app.New(db, &app.Options{Work: true, ComposeDelay: delay, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.Catalog.Liveness = quickLiveness
	if err := a.StartWorking(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.StopWorking(ctx)
	})
	return a
}

func queueCompose(t *testing.T, a *app.App, scope reckon.Scope) *reckon.Run {
	t.Helper()
	ctx := context.Background()
	if _, _, err := evidence.NewService(a.DB).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: a.DB.Now().Add(-time.Hour),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA for admins", Severity: reckon.SeverityCritical, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Reviews.Compose(ctx, scope, 0)
	if err != nil || res.Result != review.ResultQueued {
		t.Fatalf("compose: %+v, %v", res, err)
	}
	return res.Run
}

func attemptsOf(t *testing.T, db *store.DB, runID int64) []*store.RunAttempt {
	t.Helper()
	var out []*store.RunAttempt
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		out, err = tx.RunAttempts(ctx, runID)
		return err
	})
	return out
}

// waitFor polls until cond holds, for at most 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting: %s", what)
}

// A node that stops while its job is still composing gives the run up at
// once — River's retry or the hand-on of its stopped node, whichever comes
// first — and a live node finishes a fresh attempt of the same run; the
// run's attempts say where each ran.
func TestAStoppingNodeHandsItsRunOnToALiveOne(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		scope := reckontest.NewFixture(t, db).Scope()
		slow := workingApp(t, db, time.Minute)
		run := queueCompose(t, slow, scope)
		waitFor(t, "the first attempt to start on the slow node", func() bool { return len(attemptsOf(t, db, run.ID)) == 1 })

		workingApp(t, db, 0) // the live node
		stopCtx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := slow.StopWorking(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		waitFor(t, "the run to complete on the live node", func() bool {
			return reckontest.Run(t, db, scope.WorkspaceID, run.ID).Status == reckon.RunCompleted
		})
		if got := reckontest.Run(t, db, scope.WorkspaceID, run.ID); got.Outcome != reckon.OutcomeSucceeded {
			t.Fatalf("run %s / %s (%+v), want succeeded", got.Status, got.Outcome, got.Failure)
		}
		atts := attemptsOf(t, db, run.ID)
		if len(atts) != 2 {
			t.Fatalf("%d attempts, want 2", len(atts))
		}
		first, second := atts[0], atts[1]
		if first.EndedAt == nil || first.NodeID == 0 || first.NodeName == "" {
			t.Errorf("first attempt %+v: want it ended, on the slow node", first)
		}
		if second.Attempt != 2 || second.NodeID == 0 || second.NodeID == first.NodeID || second.HandedOnAt != nil {
			t.Errorf("second attempt %+v: want attempt 2 on the live node (not %d)", second, first.NodeID)
		}
	})
}
