// Package reconcile settles operation runs from evidence outside the job that
// ran them (docs/design.md §8). The Reconciler asks a run type's adapter for a
// decision proven from same-scope domain rows first; where there is no
// adapter, or no proof by the run's deadline, it fails the run on the generic
// stale path (run.stale_queued, run.stale_running), and a run whose queue
// job was discarded for good fails with run.job_discarded. Every decision is
// written through the ledger, so a second pass over the same rows changes
// nothing and records nothing.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// DefaultBatchSize is how many runs one sweep transaction settles.
const DefaultBatchSize = 100

// ActorReconciler names the reconciler in the audit trail.
const ActorReconciler = "reconciler"

// Observer is told about settlements and sweeps (the metrics package
// implements it). Calls happen after the settling transaction committed.
type Observer interface {
	Settled(typ reckon.RunType, reasonCode string)
	SweepFinished(d time.Duration, res Result)
}

// Config configures a Reconciler.
type Config struct {
	// BatchSize bounds the runs one sweep transaction locks and settles
	// (DefaultBatchSize when 0).
	BatchSize int
	Logger    *slog.Logger
	Observer  Observer
	// Tracer, when set, makes every sweep a span (trace.go).
	Tracer trace.Tracer
}

// Reconciler settles runs. It is safe for concurrent use, in one process or
// many: PostgreSQL sweepers skip each other's locked runs, and the ledger
// ignores a second terminal write.
type Reconciler struct {
	db       *store.DB
	ledger   *ledger.Ledger
	batch    int
	logger   *slog.Logger
	observer Observer
	tracer   trace.Tracer
}

// New returns a reconciler. It reads adapters and deadlines from the ledger's
// catalog.
func New(db *store.DB, l *ledger.Ledger, cfg *Config) *Reconciler {
	if cfg == nil {
		cfg = &Config{}
	}
	r := &Reconciler{db: db, ledger: l, batch: cfg.BatchSize, logger: cfg.Logger, observer: cfg.Observer,
		tracer: cfg.Tracer}
	if r.batch <= 0 {
		r.batch = DefaultBatchSize
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// ErrUnjudged is returned by Sweep when some runs could not be judged (an
// adapter failed); they stay active, are logged, and the next sweep tries
// again.
var ErrUnjudged = errors.New("reconcile: some runs could not be judged and stay for the next sweep")

// Result counts what a sweep did. Examined runs were locked and judged;
// each was either settled or left unchanged. Errors counts runs whose
// judgement failed; they stay active and the next sweep tries again.
type Result struct {
	Examined  int `json:"examined"`
	Settled   int `json:"settled"`
	Unchanged int `json:"unchanged"`
	Errors    int `json:"errors,omitempty"`
}

func (r *Result) add(o Result) {
	r.Examined += o.Examined
	r.Settled += o.Settled
	r.Unchanged += o.Unchanged
	r.Errors += o.Errors
}

// settlement is one run settled in a transaction that has not committed yet.
type settlement struct {
	typ    reckon.RunType
	reason string
}

// Sweep settles every run whose queue job was discarded and every active run
// past its deadline, in bounded batches of one transaction each. It returns
// an error when the database fails or when some runs could not be judged;
// the result still counts what was done.
func (r *Reconciler) Sweep(ctx context.Context) (Result, error) {
	if r.tracer != nil {
		return r.tracedSweep(ctx)
	}
	return r.sweep(ctx)
}

func (r *Reconciler) sweep(ctx context.Context) (Result, error) {
	start := time.Now()
	var res Result
	failed := map[int64]bool{}

	// Runs of discarded jobs first, so that they are named for what
	// happened to them even when they are also past their deadline.
	// The cursors move only once a batch committed: a transaction that is
	// run again reads the same batch.
	// Only the run types of this process's catalog: a run of another type
	// belongs to a process that has its adapter (docs/adapters.md), and the
	// generic path here would fail runs that adapter can prove.
	types := r.ledger.Catalog().Keys()
	var afterID, nextID int64
	for {
		batch, n, err := r.sweepBatch(ctx, failed, func(tx *store.Tx) ([]*reckon.Run, error) {
			runs, err := tx.DiscardedJobRuns(ctx, types, afterID, r.batch)
			if len(runs) > 0 {
				nextID = runs[len(runs)-1].ID
			}
			return runs, err
		}, true)
		res.add(batch)
		if err != nil {
			return r.finishSweep(start, res, err)
		}
		if n == 0 {
			break
		}
		afterID = nextID
	}

	var cursor, next store.SweepCursor
	for {
		batch, n, err := r.sweepBatch(ctx, failed, func(tx *store.Tx) ([]*reckon.Run, error) {
			runs, err := tx.StaleRuns(ctx, tx.Now(), types, cursor, r.batch)
			if len(runs) > 0 {
				last := runs[len(runs)-1]
				next = store.SweepCursor{DeadlineAt: last.DeadlineAt, ID: last.ID}
			}
			return runs, err
		}, false)
		res.add(batch)
		if err != nil {
			return r.finishSweep(start, res, err)
		}
		if n == 0 {
			break
		}
		cursor = next
	}
	var err error
	if res.Errors > 0 {
		err = fmt.Errorf("%w: %d runs", ErrUnjudged, res.Errors)
	}
	return r.finishSweep(start, res, err)
}

func (r *Reconciler) finishSweep(start time.Time, res Result, err error) (Result, error) {
	if r.observer != nil {
		r.observer.SweepFinished(time.Since(start), res)
	}
	return res, err
}

// sweepBatch selects and locks one batch with sel and judges each run in it,
// in one transaction. n is the number of runs selected; 0 ends the pass.
//
// The batch is first judged whole and its decisions written together, one
// statement on PostgreSQL (settleBatch). Should any judgement or the write
// fail, that attempt is rolled back to its savepoint and the batch is
// judged run by run, each in a savepoint of its own: a failing run is
// logged and remembered in failed, and the rest of the batch still settles.
func (r *Reconciler) sweepBatch(ctx context.Context, failed map[int64]bool, sel func(tx *store.Tx) ([]*reckon.Run, error), discarded bool) (Result, int, error) {
	var (
		res     Result
		settled []settlement
		n       int
		newFail []int64
	)
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		res, settled, newFail = Result{}, nil, nil
		runs, err := sel(tx)
		if err != nil {
			return err
		}
		n = len(runs)
		now := tx.Now()
		var todo []*reckon.Run
		for _, run := range runs {
			if !failed[run.ID] {
				todo = append(todo, run)
			}
		}
		res.Examined = len(todo)
		if len(todo) == 0 {
			return nil
		}
		err = tx.Savepoint(ctx, func() (err error) {
			settled, err = r.settleBatch(ctx, tx, todo, now, discarded)
			return err
		})
		if err == nil {
			res.Settled, res.Unchanged = len(settled), len(todo)-len(settled)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		settled = nil
		for _, run := range todo {
			var s *settlement
			err := tx.Savepoint(ctx, func() (err error) {
				s, err = r.settle(ctx, tx, run, now, discarded, ActorReconciler)
				return err
			})
			switch {
			case err != nil && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				r.logger.Error("reconcile: run could not be judged", "run_id", run.ID, "type", run.Type, "err", err)
				res.Errors++
				newFail = append(newFail, run.ID)
			case s != nil:
				res.Settled++
				settled = append(settled, *s)
			default:
				res.Unchanged++
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, 0, fmt.Errorf("reconcile: sweep: %w", err)
	}
	for _, id := range newFail {
		failed[id] = true
	}
	r.observe(settled)
	return res, n, nil
}

// settleBatch judges locked, active runs and writes every decision through
// the ledger at once. It fails whole when any judgement or write fails.
func (r *Reconciler) settleBatch(ctx context.Context, tx *store.Tx, runs []*reckon.Run, now time.Time, discarded bool) ([]settlement, error) {
	var (
		ends    []ledger.RunEnd
		pending []settlement
	)
	for _, run := range runs {
		rec, err := r.decide(ctx, tx, run, now, discarded)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		ends = append(ends, ledger.RunEnd{RunID: run.ID, Completion: ledger.ReconciliationCompletion(*rec, ActorReconciler)})
		pending = append(pending, settlement{typ: run.Type, reason: rec.ReasonCode})
	}
	if len(ends) == 0 {
		return nil, nil
	}
	_, changed, err := r.ledger.CompleteMany(ctx, tx, ends)
	if err != nil {
		return nil, err
	}
	var settled []settlement
	for i, s := range pending {
		if changed[i] {
			settled = append(settled, s)
		}
	}
	return settled, nil
}

func (r *Reconciler) observe(settled []settlement) {
	if r.observer == nil {
		return
	}
	for _, s := range settled {
		r.observer.Settled(s.typ, s.reason)
	}
}

// ReconcileRun judges one run of a workspace now ("reconcile now"): a
// decision proven from domain rows applies at once, one that rests on the
// deadline only once the run is past it. It returns the run as it is
// afterwards and whether this call changed it.
//
// Errors: CodeNotFound when the run is not in the workspace; CodeConflict
// when its type is not in this process's catalog (the process that runs
// the type judges it).
func (r *Reconciler) ReconcileRun(ctx context.Context, workspaceID, runID int64, actor string) (*reckon.Run, bool, error) {
	var (
		out *reckon.Run
		s   *settlement
	)
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		run, err := tx.LockRun(ctx, runID)
		if store.IsNotFound(err) || (err == nil && run.WorkspaceID != workspaceID) {
			return reckon.Errorf(reckon.CodeNotFound, "reconcile.run_not_found")
		}
		if err != nil {
			return err
		}
		out = run
		if !run.Status.Active() {
			return nil
		}
		discarded, err := tx.JobDiscarded(ctx, run.JobID)
		if err != nil {
			return err
		}
		if s, err = r.settle(ctx, tx, run, tx.Now(), discarded, actor); err != nil {
			return err
		}
		if s != nil {
			out, err = tx.LockRun(ctx, runID)
		}
		return err
	})
	if err != nil {
		var coded *reckon.Error
		if errors.As(err, &coded) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("reconcile: run %d: %w", runID, err)
	}
	if s != nil {
		r.observe([]settlement{*s})
	}
	return out, s != nil, nil
}

// Judge returns what reconciliation would decide about a locked, active run
// now — the adapter's proof first, the deadline's generic path after — or
// nil for "no change", without writing anything. A caller that settles a
// run on an operator's word (an ambiguity resolved) has the reconciler's
// own reading of the rows checked, and writes it through the ledger.
func (r *Reconciler) Judge(ctx context.Context, tx *store.Tx, run *reckon.Run) (*reckon.Reconciliation, error) {
	return r.decide(ctx, tx, run, tx.Now(), false)
}

// settle judges a locked, active run and writes the decision through the
// ledger. It returns nil when the run is left as it is.
func (r *Reconciler) settle(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time, discarded bool, actor string) (*settlement, error) {
	rec, err := r.decide(ctx, tx, run, now, discarded)
	if err != nil || rec == nil {
		return nil, err
	}
	_, changed, err := r.ledger.UpdateWithReconciliation(ctx, tx, run.ID, *rec, actor)
	if err != nil || !changed {
		return nil, err
	}
	return &settlement{typ: run.Type, reason: rec.ReasonCode}, nil
}

// decide returns the reconciliation of a run, or nil for "no change". The
// adapter speaks first; the generic path applies only where it has no proof.
func (r *Reconciler) decide(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time, discarded bool) (*reckon.Reconciliation, error) {
	rt, ok := r.ledger.Catalog().Lookup(run.Type)
	if !ok {
		return nil, reckon.Errorf(reckon.CodeConflict, "reconcile.run_type_elsewhere", "type", run.Type)
	}
	if rt.Adapter != nil {
		d, err := decideByAdapter(ctx, tx, rt.Adapter, run, now)
		if err != nil {
			return nil, err
		}
		if d.Settles() && (!d.NeedsDeadline || run.PastDeadline(now)) {
			return &reckon.Reconciliation{Source: reckon.SourceAdapter, Adapter: rt.Adapter.Name(),
				Decision: d.Outcome, ReasonCode: d.ReasonCode, ReconciledAt: now, Evidence: d.Evidence}, nil
		}
	}
	ev := run.Evidence()
	var reason string
	switch {
	case discarded:
		ev.JobID = run.JobID
		reason = reckon.ReasonJobDiscarded
	case run.PastDeadline(now):
		deadline := run.DeadlineAt
		ev.DeadlineAt = &deadline
		reason = reckon.ReasonStaleQueued
		if run.Status == reckon.RunRunning {
			reason = reckon.ReasonStaleRunning
		}
	default:
		return nil, nil
	}
	return &reckon.Reconciliation{Source: reckon.SourceLifecycle, Decision: reckon.OutcomeFailed,
		ReasonCode: reason, ReconciledAt: now, Evidence: ev}, nil
}

// decideByAdapter asks an adapter and checks what it answers: a decision
// must be a terminal outcome with a reason, proven in the run's own scope.
func decideByAdapter(ctx context.Context, tx *store.Tx, a catalog.Adapter, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	d, err := a.Reconcile(ctx, tx, run, now)
	if err != nil {
		return reckon.Decision{}, fmt.Errorf("adapter %s: %w", a.Name(), err)
	}
	if !d.Settles() {
		return d, nil
	}
	if !d.Outcome.Terminal() || d.ReasonCode == "" {
		return reckon.Decision{}, fmt.Errorf("adapter %s: decision %q/%q is not a terminal outcome with a reason", a.Name(), d.Outcome, d.ReasonCode)
	}
	if d.Evidence.WorkspaceID != run.WorkspaceID || d.Evidence.EnvironmentID != run.EnvironmentID {
		return reckon.Decision{}, fmt.Errorf("adapter %s: evidence outside the run's scope", a.Name())
	}
	return d, nil
}
