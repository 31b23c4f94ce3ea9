package catalog

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
)

// Worker makes work the queue worker of a run type's job: each attempt is
// bounded by the type's job timeout as the catalog has it when the attempt
// starts, so that an override applied after registration counts, and an
// attempt never outlives the time the hand-on and the rescue leave it.
// Register it with river.AddWorker. An unknown key panics: registering a
// worker for a type the catalog lacks is a programming error.
func Worker[T river.JobArgs](c *Catalog, key reckon.RunType, work func(ctx context.Context, job *river.Job[T]) error) river.Worker[T] {
	c.MustLookup(key)
	return &runWorker[T]{catalog: c, key: key, work: work}
}

type runWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	catalog *Catalog
	key     reckon.RunType
	work    func(ctx context.Context, job *river.Job[T]) error
}

func (w *runWorker[T]) Timeout(*river.Job[T]) time.Duration {
	return w.catalog.MustLookup(w.key).JobTimeout
}

func (w *runWorker[T]) Work(ctx context.Context, job *river.Job[T]) error { return w.work(ctx, job) }
