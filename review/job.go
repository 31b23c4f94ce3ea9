package review

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/store"
)

// ComposeArgs is the queue job that executes a compose run.
type ComposeArgs struct {
	RunID int64 `json:"run_id"`
}

// Kind is the job's kind in the queue.
func (ComposeArgs) Kind() string { return string(reckon.RunTypeReviewCompose) }

// Steps of the compose job. A Hook is called after each one; a hook error
// stops the job there, as a crash would, and the queue delivers it again.
const (
	// StepRunning: the run is marked running and its truth resolved.
	StepRunning = "running"
	// StepDraft: the run's draft review is inserted, recovered or taken over.
	StepDraft = "draft"
	// StepComposed: the content is composed, not yet saved.
	StepComposed = "composed"
	// StepCompleted: the review is ready (or superseded) and the run
	// completed, in one transaction.
	StepCompleted = "completed"
)

// WorkerOptions tune the compose job.
type WorkerOptions struct {
	// Hook, when set, is called after each step (Step*) with the step's
	// name; an error stops the job there. A seam for tests.
	Hook func(step string) error
	// Delay makes the job wait this long while its review is a draft, before
	// composing. It widens the window in which a crash leaves a draft
	// behind, for tests and demonstrations; 0 in production.
	Delay time.Duration
	// SnoozeInterval is how long the job waits before looking again at a
	// draft that another live run is composing (default 5s). The wait never
	// reaches past the run's own deadline.
	SnoozeInterval time.Duration
	Logger         *slog.Logger
}

// Worker executes compose runs (docs/design.md §6, steps 1–5). Every step is safe
// to repeat: the queue delivers a job at least once.
type Worker struct {
	svc  *Service
	opts WorkerOptions
}

// NewWorker returns the compose job's worker.
func NewWorker(svc *Service, opts *WorkerOptions) *Worker {
	w := &Worker{svc: svc}
	if opts != nil {
		w.opts = *opts
	}
	if w.opts.SnoozeInterval <= 0 {
		w.opts.SnoozeInterval = 5 * time.Second
	}
	if w.opts.Logger == nil {
		w.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return w
}

// Register wires reviews into a process, as restore.Register does: the job
// that executes compose runs, the adapter that reconciles them, and — when
// the process works jobs (workers is not nil) — the job's worker, which it
// returns (nil otherwise).
func Register(cat *catalog.Catalog, workers *river.Workers, svc *Service, opts *WorkerOptions) *Worker {
	cat.SetJob(reckon.RunTypeReviewCompose, func(runID int64) river.JobArgs { return ComposeArgs{RunID: runID} })
	cat.RegisterAdapter(reckon.RunTypeReviewCompose, Adapter{})
	if workers == nil {
		return nil
	}
	w := NewWorker(svc, opts)
	river.AddWorker(workers, catalog.Worker(cat, reckon.RunTypeReviewCompose, w.Work))
	return w
}

// permanentError is a failure that another attempt cannot mend.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// errLostDraft: another run took the draft over while this one composed.
var errLostDraft = errors.New("review: the draft was taken over by another run")

// Work executes one delivery of a compose run. A permanent failure, or any
// failure on the last attempt, fails the review and the run with a safe
// reason (step 5); other failures are returned for the queue to retry.
func (w *Worker) Work(ctx context.Context, job *river.Job[ComposeArgs]) error {
	runID := job.Args.RunID
	err := w.work(ctx, job)
	var snooze *river.JobSnoozeError
	if err == nil || errors.As(err, &snooze) {
		return err
	}
	var perm *permanentError
	last := job.JobRow != nil && job.Attempt >= job.MaxAttempts
	if !errors.As(err, &perm) && !last {
		w.opts.Logger.WarnContext(ctx, "compose job attempt failed; it will be retried", "run_id", runID, "error", err)
		return err
	}
	w.opts.Logger.ErrorContext(ctx, "compose job failed", "run_id", runID, "error", err)
	if ferr := w.fail(ctx, job); ferr != nil {
		return errors.Join(err, ferr)
	}
	return nil
}

func (w *Worker) hook(step string) error {
	if w.opts.Hook == nil {
		return nil
	}
	return w.opts.Hook(step)
}

func (w *Worker) work(ctx context.Context, job *river.Job[ComposeArgs]) error {
	run, done, err := w.start(ctx, job)
	if err != nil {
		return err
	}
	if err := w.hook(StepRunning); err != nil || done {
		return err
	}

	// Step 3: a draft linked to this run.
	draft, err := w.draft(ctx, job, run)
	if err != nil || draft == nil {
		return err
	}
	if err := w.hook(StepDraft); err != nil {
		return err
	}
	if w.opts.Delay > 0 {
		t := time.NewTimer(w.opts.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}

	// Step 4: compose from the snapshots, then save in one transaction.
	snap, content, err := w.compose(ctx, run)
	if err != nil {
		return err
	}
	if err := w.hook(StepComposed); err != nil {
		return err
	}
	err = w.svc.db.InTx(ctx, func(tx *store.Tx) error { return w.finish(ctx, tx, job, run.Scope(), draft.ID, snap, content) })
	if errors.Is(err, errLostDraft) {
		return w.snooze(run, run.DeadlineAt)
	}
	if err != nil {
		return err
	}
	return w.hook(StepCompleted)
}
