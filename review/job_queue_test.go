package review_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// TestJobEndsWithItsRun: the compose job's final transaction completes its
// queue job too, so a delivery that fails after that commit (the process
// dies as it returns) leaves nothing for the queue to retry.
func TestJobEndsWithItsRun(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		var starts atomic.Int64
		b := setup(t, db, &review.WorkerOptions{Hook: func(step string) error {
			switch step {
			case review.StepRunning:
				starts.Add(1)
			case review.StepCompleted:
				return errCrash
			}
			return nil
		}})
		b.start(t)
		scope := b.fx.Scope()
		b.importSnapshot(t, scope, db.Now().AddDate(0, 0, -1), reckontest.Findings())
		res := b.compose(t, scope)
		if res.Run == nil {
			t.Fatalf("compose: %+v", res)
		}
		if run := b.waitRun(t, scope.WorkspaceID, res.Run.ID); run.Outcome != reckon.OutcomeSucceeded {
			t.Fatalf("run %s/%s", run.Status, run.Outcome)
		}
		job := waitJobSettled(t, db, review.ComposeArgs{}.Kind())
		if job.State != "completed" {
			t.Fatalf("the job is %s after its run completed; want completed, never to run again", job.State)
		}
		if n := starts.Load(); n != 1 {
			t.Fatalf("%d deliveries, want 1", n)
		}
	})
}

// waitJobSettled waits until the one queue job of kind has left the
// running state and returns it.
func waitJobSettled(t *testing.T, db *store.DB, kind string) store.QueueJob {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var jobs []store.QueueJob
		if err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
			jobs, err = tx.QueueJobs(context.Background(), kind)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 && jobs[0].State != "running" && jobs[0].State != "available" {
			return jobs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue jobs of %s: %+v", kind, jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
