package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type completeArgs struct{}

func (completeArgs) Kind() string { return "test.complete_tx" }

// completeWorker completes its job in a transaction of its own, then fails
// on the first attempt when rollback is false, or rolls that transaction
// back when it is true.
type completeWorker struct {
	river.WorkerDefaults[completeArgs]
	db       *store.DB
	rollback bool
	attempts atomic.Int64
}

func (w *completeWorker) Work(ctx context.Context, job *river.Job[completeArgs]) error {
	attempt := w.attempts.Add(1)
	abort := errors.New("abort")
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		if err := queue.CompleteJobTx(ctx, tx, job); err != nil {
			return err
		}
		if w.rollback && attempt == 1 {
			return abort
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.New("failed after its completion committed")
}

func (*completeWorker) NextRetry(*river.Job[completeArgs]) time.Time { return time.Now() }

// TestCompleteJobTxCommitsWithTheTransaction proves a job completed in a
// committed transaction is never retried, whatever the worker returns, and
// that a completion rolled back leaves the job to be retried.
func TestCompleteJobTxCommitsWithTheTransaction(t *testing.T) {
	t.Parallel()
	for _, rollback := range []bool{false, true} {
		t.Run(fmt.Sprintf("rollback=%v", rollback), func(t *testing.T) {
			reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				w := &completeWorker{db: db, rollback: rollback}
				workers := river.NewWorkers()
				river.AddWorker(workers, w)
				q, err := queue.New(db, &queue.Config{Workers: workers, MaxWorkers: 2, FetchPollInterval: 20 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if err := q.Start(ctx); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = q.Stop(context.Background()) })
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := q.InsertTx(ctx, tx, completeArgs{}, nil)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				// A rolled-back completion needs a second attempt, which commits.
				want := int64(1)
				if rollback {
					want = 2
				}
				deadline := time.Now().Add(30 * time.Second)
				for w.attempts.Load() < want || jobCount(t, db, completeArgs{}.Kind(), "completed") != 1 {
					if time.Now().After(deadline) {
						t.Fatalf("rollback=%v: %d attempts, job not completed", rollback, w.attempts.Load())
					}
					time.Sleep(20 * time.Millisecond)
				}
				// Retries are due at once (NextRetry): give one time to show itself.
				time.Sleep(300 * time.Millisecond)
				if got := w.attempts.Load(); got != want {
					t.Fatalf("rollback=%v: %d attempts, want %d", rollback, got, want)
				}
				if n := jobCount(t, db, completeArgs{}.Kind(), "completed"); n != 1 {
					t.Fatalf("rollback=%v: %d completed jobs, want 1", rollback, n)
				}
			})
		})
	}
}
