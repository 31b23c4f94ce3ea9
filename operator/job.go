package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// BulkArgs is the queue job that works a bulk run.
type BulkArgs struct {
	RunID int64 `json:"run_id"`
}

// Kind implements river.JobArgs.
func (BulkArgs) Kind() string { return string(reckon.RunTypeBulk) }

// Register adds the bulk run type to the catalog with its adapter and, when
// the process works jobs (workers is not nil), its worker. Its label is in the locale
// catalogs.
func Register(cat *catalog.Catalog, workers *river.Workers, svc *Service) error {
	if err := cat.Add(&catalog.RunType{Key: reckon.RunTypeBulk, QueuedDeadline: 15 * time.Minute,
		RunningDeadline: 2 * time.Hour, JobTimeout: 30 * time.Minute,
		JobArgs: func(runID int64) river.JobArgs { return BulkArgs{RunID: runID} }}); err != nil {
		return err
	}
	cat.RegisterAdapter(reckon.RunTypeBulk, Adapter{})
	if workers != nil {
		// The transaction that completes the run also completes its queue
		// job, as the other domains' jobs do.
		river.AddWorker(workers, catalog.Worker(cat, reckon.RunTypeBulk, func(ctx context.Context, job *river.Job[BulkArgs]) error {
			return svc.workBulk(ctx, job.Args.RunID, queue.CompleteJob(job))
		}))
	}
	return nil
}

// WorkBulk works a bulk run: it acts on the runs of its filter page by
// page, writes the counts so far to the run's summary after each page, and
// completes the run with them. A redelivered job resumes after the last run
// its summary records; a completed (or cancelled) run is left alone.
func (s *Service) WorkBulk(ctx context.Context, runID int64) error {
	return s.workBulk(ctx, runID, nil)
}

// workBulk is WorkBulk; end, when set, ends the queue job in the run's
// completing transaction.
func (s *Service) workBulk(ctx context.Context, runID int64, end func(context.Context, *store.Tx) error) error {
	var (
		run *reckon.Run
		sum BulkSummary
		f   store.RunFilter
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if run, err = tx.LockRun(ctx, runID); err != nil || !run.Status.Active() {
			return err
		}
		if run.Context.Bulk == nil {
			return fmt.Errorf("run %d has no bulk request", runID)
		}
		if err := json.Unmarshal(run.Context.Bulk.Filter, &f); err != nil {
			return fmt.Errorf("run %d filter: %w", runID, err)
		}
		if run.Summary != nil {
			if err := json.Unmarshal(run.Summary, &sum); err != nil {
				return fmt.Errorf("run %d summary: %w", runID, err)
			}
		} else {
			f.WorkspaceID, f.NotType = run.WorkspaceID, reckon.RunTypeBulk
			if sum.Matched, err = tx.CountMatchingRuns(ctx, &f, 0); err != nil {
				return err
			}
		}
		run, _, err = s.ledger.MarkRunning(ctx, tx, runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("operator: bulk run %d: %w", runID, err)
	}
	if !run.Status.Active() {
		return nil
	}
	// The filter is scoped to the run's own workspace whatever it says.
	f.WorkspaceID, f.AllWorkspaces, f.NotType = run.WorkspaceID, false, reckon.RunTypeBulk
	req := run.Context.Bulk
	by := Actor{UserID: req.UserID}
	active := true
	progress := func(sum *BulkSummary) error {
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		return s.db.InTx(ctx, func(tx *store.Tx) (err error) {
			active, err = s.ledger.Progress(ctx, tx, runID, b)
			return err
		})
	}
	if err := s.bulkPass(ctx, req, by, f, &sum, func(sum *BulkSummary) error {
		if err := progress(sum); err != nil {
			return err
		}
		if !active {
			return errStopped
		}
		return nil
	}); err != nil {
		if err == errStopped {
			return nil
		}
		return err
	}
	b, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, _, err := s.ledger.Complete(ctx, tx, runID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded,
			Summary: b, Actor: "job", EndJob: end})
		return err
	})
}

// errStopped ends a bulk pass whose run was completed meanwhile (cancelled,
// or settled by the reconciler).
var errStopped = fmt.Errorf("operator: bulk run stopped")
