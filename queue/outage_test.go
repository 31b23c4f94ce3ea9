package queue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type outageArgs struct{}

func (outageArgs) Kind() string { return "test.outage" }

// outageWorker fails its first attempts as a job does while the database
// restarts: the store gave up on the connection and says it is unavailable.
type outageWorker struct {
	river.WorkerDefaults[outageArgs]
	failures int64
	attempts atomic.Int64
}

func (w *outageWorker) Work(context.Context, *river.Job[outageArgs]) error {
	if w.attempts.Add(1) <= w.failures {
		return fmt.Errorf("review: start run 7: %w", store.ErrUnavailable)
	}
	return nil
}

// An attempt that meets an unavailable database runs again within about a
// second, however often it met one, and the outage counts as none of the
// job's errors. Counted as errors, the second would have waited River's
// 16 s backoff — past a short run's deadline.
func TestAnAttemptThatMeetsAnUnavailableDatabaseRunsAgainSoon(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &outageWorker{failures: 3}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := queue.New(db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		events, cancel := q.Subscribe(river.EventKindJobCompleted)
		defer cancel()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		var id int64
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			id, err = q.InsertTx(ctx, tx, outageArgs{}, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-events:
		case <-time.After(12 * time.Second):
			t.Fatalf("the job did not complete within 12 s of three outages (%d attempts)", w.attempts.Load())
		}
		var job *queue.Job
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			job, err = q.JobTx(ctx, tx, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if w.attempts.Load() != 4 || job.State != "completed" || len(job.Errors) != 0 {
			t.Fatalf("%d attempts, job %s with errors %+v: want 4 attempts, completed, no errors",
				w.attempts.Load(), job.State, job.Errors)
		}
	})
}
