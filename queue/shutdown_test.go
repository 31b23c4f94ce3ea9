package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type slowArgs struct{}

func (slowArgs) Kind() string { return "test.slow" }

type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started  chan struct{}
	finished chan struct{}
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	close(w.started)
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	close(w.finished)
	return nil
}

// TestStopLetsJobsInFlightFinish proves graceful shutdown: Stop waits for a
// running job to finish instead of cancelling it.
func TestStopLetsJobsInFlightFinish(t *testing.T) {
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &slowWorker{started: make(chan struct{}), finished: make(chan struct{})}
		q := startOneJob(t, db, w, slowArgs{}, w.started)
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		select {
		case <-w.finished:
		default:
			t.Fatal("Stop returned before the job in flight finished")
		}
	})
}
