package reconcile

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// SweepArgs is the periodic queue job that runs one sweep.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "reconcile.sweep" }

// InsertOpts keeps at most one sweep job waiting or running: a slow sweep
// does not pile up successors. Running two at once would still be safe.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		}},
	}
}

// DefaultInterval is how often the periodic sweep runs.
const DefaultInterval = time.Minute

// PeriodicJob returns the periodic sweep, run every interval (DefaultInterval
// when 0) and once at start. River runs periodic jobs on its elected leader
// only; Sweep is safe even when two nodes briefly both think they lead.
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "reconcile.sweep", RunOnStart: true})
}

// Register adds the sweep worker to a process's workers. Add PeriodicJob to
// the queue's periodic jobs to schedule it.
func Register(workers *river.Workers, r *Reconciler) {
	river.AddWorker(workers, &sweepWorker{r: r})
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	r *Reconciler
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	res, err := w.r.Sweep(ctx)
	if res.Settled > 0 || err != nil {
		w.r.logger.Info("reconcile: sweep", "examined", res.Examined, "settled", res.Settled,
			"unchanged", res.Unchanged, "errors", res.Errors)
	}
	if errors.Is(err, ErrUnjudged) {
		// Logged run by run already; retrying the job now would not help.
		return nil
	}
	return err
}
