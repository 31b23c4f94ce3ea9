package reconcile_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// TestKilledNodesRunIsHandedOnAndSucceeds kills a real worker process while
// its compose job holds a draft. A live node notices the missing heartbeat,
// hands the run on, and a fresh attempt of the same run succeeds there —
// well within the run's deadline, where before the reconciler failed it.
func TestKilledNodesRunIsHandedOnAndSucceeds(t *testing.T) {
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) { killedNodeHandsOn(t, engine) })
	}
}

func killedNodeHandsOn(t *testing.T, engine store.Engine) {
	ctx := context.Background()
	dbURL := reckontest.URL(t, engine)
	db, err := queue.OpenMigrated(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inserter, err := app.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	scope := reckontest.NewFixture(t, db).Scope()
	if _, _, err := evidence.NewService(db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: time.Now().Add(-time.Hour).UTC(),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA for admins", Severity: reckon.SeverityCritical, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
	attempts := func(runID int64) []*store.RunAttempt {
		var list []*store.RunAttempt
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { list, err = tx.RunAttempts(ctx, runID); return err }); err != nil {
			t.Fatal(err)
		}
		return list
	}
	runOf := func(id int64) *reckon.Run {
		var run *reckon.Run
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { run, err = tx.Run(ctx, scope.WorkspaceID, id); return err }); err != nil {
			t.Fatal(err)
		}
		return run
	}

	worker, out := startWorker(t, dbURL, 40*time.Second, time.Minute)
	res, err := inserter.Reviews.Compose(ctx, scope, 0)
	if err != nil || res.Result != review.ResultQueued {
		t.Fatalf("compose: %+v, %v", res, err)
	}
	waitFor(t, "the first attempt on the worker", 60*time.Second, out, func() bool { return len(attempts(res.Run.ID)) == 1 })
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	killed := time.Now()

	// A live node, started after the kill, with a quick liveness check.
	live, err := app.New(db, &app.Options{Work: true, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	live.Catalog.Liveness = catalog.Liveness{Interval: 100 * time.Millisecond, DeadAfter: 300 * time.Millisecond}
	if err := live.StartWorking(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = live.StopWorking(stopCtx)
	}()
	waitFor(t, "the run to complete on the live node", 30*time.Second, out, func() bool {
		return runOf(res.Run.ID).Status == reckon.RunCompleted
	})
	run := runOf(res.Run.ID)
	if run.Outcome != reckon.OutcomeSucceeded {
		t.Fatalf("run %s / %s (%+v), want succeeded", run.Status, run.Outcome, run.Failure)
	}
	list := attempts(res.Run.ID)
	if len(list) != 2 || list[0].HandedOnAt == nil || list[1].NodeID == list[0].NodeID || list[1].NodeID == 0 {
		t.Fatalf("attempts %+v %+v: want the first handed on from the killed node, the second on the live one", list[0], list[len(list)-1])
	}
	if took := list[1].StartedAt.Sub(killed); took > 10*time.Second {
		t.Errorf("the fresh attempt started %s after the kill", took)
	}
}
