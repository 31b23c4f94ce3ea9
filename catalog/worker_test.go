package catalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type syncArgs struct{ RunID int64 }

func (syncArgs) Kind() string { return "inventory.sync" }

// An attempt of a run type's worker is bounded by the type's job timeout,
// not by the queue's, which is a minute: River gives the attempt a context
// that ends within it. An override applied after the worker was made counts.
func TestARunTypesWorkerIsBoundedByItsJobTimeout(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New()
		if err := cat.Add(&catalog.RunType{Key: "inventory.sync", QueuedDeadline: time.Minute, RunningDeadline: time.Hour,
			JobTimeout: 20 * time.Minute, JobArgs: func(id int64) river.JobArgs { return syncArgs{id} }}); err != nil {
			t.Fatal(err)
		}
		left := make(chan time.Duration, 1)
		workers := river.NewWorkers()
		worker := catalog.Worker(cat, "inventory.sync", func(ctx context.Context, job *river.Job[syncArgs]) error {
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(time.Hour)
			}
			left <- time.Until(deadline)
			return nil
		})
		river.AddWorker(workers, worker)
		cat.Apply(catalog.Overrides{RunningDeadline: 10 * time.Second}) // job timeout: at most 5 s
		timeout := cat.MustLookup("inventory.sync").JobTimeout
		if got := worker.Timeout(nil); got != timeout || timeout > 5*time.Second {
			t.Fatalf("worker's timeout %s, the type's %s after the override", got, timeout)
		}

		q, err := queue.New(db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			_, err := q.InsertTx(ctx, tx, syncArgs{RunID: 1}, nil)
			return err
		})
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := q.Stop(ctx); err != nil {
				t.Error(err)
			}
		}()
		select {
		case d := <-left:
			if d <= 0 || d > timeout {
				t.Fatalf("the attempt had %s left, want at most the job timeout %s", d, timeout)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the job was not worked")
		}
	})
}

// Making a worker for a type the catalog lacks is a programming error.
func TestAWorkerOfAnUnknownTypePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	catalog.Worker(catalog.New(), reckon.RunType("nope"), func(context.Context, *river.Job[syncArgs]) error { return nil })
}
