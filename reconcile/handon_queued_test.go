package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// A node that takes a run's job and dies before the run's first attempt
// begins — its start was waiting on a restarting database, say — leaves
// the run queued and the job running on its River client, which no attempt
// records. The live nodes' hand-on gives that job back at once, as it does
// a dead node's attempt; before, only River's rescuer would, after the job
// timeout and the detection delay, too late for a short deadline.
func TestAJobTakenByADeadNodeBeforeItsRunStartedIsHandedOn(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New()
		if err := cat.Add(&catalog.RunType{Key: "inventory.sync", QueuedDeadline: time.Minute,
			RunningDeadline: time.Hour, JobTimeout: time.Minute,
			JobArgs: func(id int64) river.JobArgs { return inventoryArgs{id} }}); err != nil {
			t.Fatal(err)
		}
		taken := make(chan struct{})
		workers := river.NewWorkers()
		// The dead node's worker: it takes the job and never starts the run.
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[inventoryArgs]) error {
			close(taken)
			<-ctx.Done()
			return ctx.Err()
		}))
		q, err := queue.New(db, &queue.Config{Workers: workers, MaxWorkers: 1, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		hb, err := queue.StartHeartbeat(ctx, db, "dying-node", q.ClientID(), time.Hour, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_ = q.Stop(stopCtx)
		})
		l := ledger.New(cat, q)
		ws := reckontest.NewFixture(t, db).Scope().WorkspaceID
		run, _, err := l.Trigger(ctx, db, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: ws}, Type: "inventory.sync"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-taken:
		case <-time.After(20 * time.Second):
			t.Fatal("the dying node's worker never took the job")
		}
		if err := hb.Stop(ctx); err != nil { // the node is dead from here on
			t.Fatal(err)
		}

		rec := reconcile.New(db, l, nil)
		if n, err := rec.HandOn(ctx); err != nil || n != 1 {
			t.Fatalf("hand-on: %d runs, %v; want the queued run's job handed on", n, err)
		}
		if got := jobState(t, db, run.JobID); got != "available" {
			t.Fatalf("the run's job is %s after the hand-on, want available for a live worker", got)
		}
		if got := reckontest.Run(t, db, ws, run.ID); got.Status != reckon.RunQueued || got.Attempts != 0 {
			t.Fatalf("run %s with %d attempts, want still queued with none", got.Status, got.Attempts)
		}
		if n, err := rec.HandOn(ctx); err != nil || n != 0 {
			t.Fatalf("a second hand-on: %d runs, %v; want none", n, err)
		}
	})
}

func jobState(t *testing.T, db *store.DB, jobID int64) string {
	t.Helper()
	var state string
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		jobs, err := tx.QueueJobs(ctx, inventoryArgs{}.Kind())
		for _, j := range jobs {
			if j.ID == jobID {
				state = j.State
			}
		}
		return err
	})
	return state
}
