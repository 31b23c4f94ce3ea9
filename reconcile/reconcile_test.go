package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/store"
)

var t0 = reckontest.Epoch()

type testBundle struct {
	db      *store.DB
	clock   *reckontest.Clock
	fx      *reckontest.Fixture
	cat     *catalog.Catalog
	workers *river.Workers
	queue   *queue.Queue
	ledger  *ledger.Ledger
	restore *restore.Service
	rec     *reconcile.Reconciler
}

// failArgs is a job that always fails and is discarded after one attempt.
type failArgs struct {
	RunID int64 `json:"run_id"`
}

func (failArgs) Kind() string                 { return "test.fail" }
func (failArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type failWorker struct{ river.WorkerDefaults[failArgs] }

func (failWorker) Work(context.Context, *river.Job[failArgs]) error {
	return errors.New("always fails")
}

// eachEngine runs fn per engine on a fresh database whose clock the test
// can move. The compose run type has no adapter here: it stands for any
// type on the generic stale path, and its job always fails.
func eachEngine(t *testing.T, fn func(t *testing.T, b *testBundle)) {
	t.Helper()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) { fn(t, setup(t, engine, nil)) })
	}
}

func setup(t testing.TB, engine store.Engine, cfg *reconcile.Config) *testBundle {
	t.Helper()
	clock := reckontest.NewClock(t0)
	db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now, MaxConns: 16})
	workers := river.NewWorkers()
	river.AddWorker(workers, failWorker{})
	q, err := queue.New(db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	cat.SetJob(reckon.RunTypeReviewCompose, func(id int64) river.JobArgs { return failArgs{RunID: id} })
	l := ledger.New(cat, q)
	svc := restore.NewService(db, l, nil)
	restore.Register(cat, workers, svc)
	return &testBundle{db: db, clock: clock, fx: reckontest.NewFixture(t, db), cat: cat, workers: workers,
		queue: q, ledger: l, restore: svc, rec: reconcile.New(db, l, cfg)}
}

func (b *testBundle) tx(t testing.TB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, b.db, fn)
}

// genericRun creates a queued run of a type without an adapter.
func (b *testBundle) genericRun(t testing.TB, scope reckon.Scope, key string) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		run, _, err = b.ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeReviewCompose,
			Key: key, Context: reckon.RunContext{Fingerprint: key}})
		return err
	})
	return run
}

func (b *testBundle) markRunning(t testing.TB, id int64) {
	t.Helper()
	b.tx(t, func(ctx context.Context, tx *store.Tx) error {
		_, _, err := b.ledger.MarkRunning(ctx, tx, id)
		return err
	})
}

// run reads a run without locking it: a PostgreSQL sweep skips the runs
// another transaction holds, so an observer that locked would hide the run
// from the sweep it is waiting for.
func (b *testBundle) run(t testing.TB, id int64) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		run, err = tx.RunByID(ctx, id)
		return err
	})
	return run
}

func (b *testBundle) audits(t testing.TB, runID int64) []*store.AuditEvent {
	t.Helper()
	return reckontest.Audits(t, b.db, runID)
}

func (b *testBundle) auditTotal(t testing.TB) int64 {
	t.Helper()
	var n int64
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		n, err = tx.CountAuditEvents(ctx)
		return err
	})
	return n
}

func (b *testBundle) sweep(t testing.TB) reconcile.Result {
	t.Helper()
	res, err := b.rec.Sweep(context.Background())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return res
}

func (b *testBundle) deadlines() *catalog.RunType {
	return b.cat.MustLookup(reckon.RunTypeReviewCompose)
}

// wantSettled checks a run settled by the reconciler: outcome, reason, the
// docs/design.md §4 metadata and one audit event.
func wantSettled(t *testing.T, b *testBundle, id int64, outcome reckon.Outcome, source reckon.ReconcileSource, reason string) *reckon.Run {
	t.Helper()
	run := b.run(t, id)
	rec := run.Context.Reconciliation
	if run.Status != reckon.RunCompleted || run.Outcome != outcome || rec == nil || rec.Source != source ||
		rec.Decision != outcome || rec.ReasonCode != reason || rec.ReconciledAt.IsZero() ||
		rec.Evidence.WorkspaceID != run.WorkspaceID || rec.Evidence.EnvironmentID != run.EnvironmentID {
		t.Fatalf("run %d: %s/%s reconciliation %+v, want %s by %s with %s", id, run.Status, run.Outcome, rec, outcome, source, reason)
	}
	if outcome != reckon.OutcomeSucceeded && (run.Failure == nil || run.Failure.ReasonCode != reason) {
		t.Fatalf("run %d: failure %+v, want %s", id, run.Failure, reason)
	}
	if ev := b.audits(t, id); len(ev) != 1 || ev[0].Actor == "" {
		t.Fatalf("run %d: %d audit events, want 1", id, len(ev))
	}
	return run
}

func TestSweepSettlesStaleRunsOnTheGenericPath(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		queued := b.genericRun(t, scope, "sha256:queued")
		running := b.genericRun(t, scope, "sha256:running")
		b.markRunning(t, running.ID)
		b.clock.Advance(b.deadlines().QueuedDeadline + time.Second)
		fresh := b.genericRun(t, scope, "sha256:fresh") // within its deadline

		res := b.sweep(t)
		if res != (reconcile.Result{Examined: 1, Settled: 1}) {
			t.Fatalf("first sweep %+v: only the queued run is past its deadline", res)
		}
		run := wantSettled(t, b, queued.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		if ev := run.Context.Reconciliation.Evidence; ev.DeadlineAt == nil || !ev.DeadlineAt.Equal(queued.DeadlineAt) ||
			len(ev.RunIDs) != 1 || ev.RunIDs[0] != queued.ID || run.Context.Reconciliation.Adapter != "" {
			t.Fatalf("evidence %+v", ev)
		}

		b.clock.Advance(b.deadlines().RunningDeadline)
		if res := b.sweep(t); res.Settled != 2 {
			t.Fatalf("second sweep %+v, want the running and the fresh run settled", res)
		}
		wantSettled(t, b, running.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleRunning)
		wantSettled(t, b, fresh.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
	})
}

func TestSecondSweepChangesNothing(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		for _, key := range []string{"a", "b", "c"} {
			b.genericRun(t, scope, key)
		}
		st, err := b.restore.Start(context.Background(), scope, "backup", []restore.Item{{Key: "k", Payload: json.RawMessage(`{"kind":"x"}`)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(24 * time.Hour)
		if res := b.sweep(t); res.Settled != 4 {
			t.Fatalf("first sweep %+v, want 4 settled", res)
		}
		wantSettled(t, b, st.Run.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		before := b.auditTotal(t)
		if res := b.sweep(t); res != (reconcile.Result{}) {
			t.Fatalf("second sweep %+v, want nothing examined or changed", res)
		}
		if after := b.auditTotal(t); after != before {
			t.Fatalf("second sweep wrote %d audit events", after-before)
		}
	})
}

func TestSweepAsksTheAdapterFirst(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		items := []restore.Item{{Key: "a", Payload: json.RawMessage(`{"kind":"x"}`)}, {Key: "b", Payload: json.RawMessage(`{}`)}}
		// The job recorded the restore's truth, then died before it could
		// complete the run.
		st, err := b.restore.Start(context.Background(), scope, "backup", items, 0)
		if err != nil {
			t.Fatal(err)
		}
		b.markRunning(t, st.Run.ID)
		st.Restore.Status, st.Restore.ItemsSucceeded, st.Restore.ItemsFailed = reckon.RestorePartiallySucceeded, 1, 1
		b.tx(t, func(ctx context.Context, tx *store.Tx) error { return tx.FinishRestore(ctx, st.Restore) })
		// Without its restore row, a second run has no proof at all.
		var bare *reckon.Run
		b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			bare, _, err = b.ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeRestoreExecute, Key: "bare"})
			return err
		})
		b.clock.Advance(3 * time.Hour)
		if res := b.sweep(t); res.Settled != 2 {
			t.Fatalf("sweep %+v, want 2 settled", res)
		}
		run := wantSettled(t, b, st.Run.ID, reckon.OutcomePartiallySucceeded, reckon.SourceAdapter, restore.ReasonPartial)
		rec := run.Context.Reconciliation
		if rec.Adapter != string(reckon.RunTypeRestoreExecute) || rec.Evidence.RestoreRunID != st.Restore.ID ||
			rec.Evidence.RestoreStatus != string(reckon.RestorePartiallySucceeded) || *rec.Evidence.RestoreItems != (reckon.ItemCounts{Total: 2, Succeeded: 1, Failed: 1}) {
			t.Fatalf("reconciliation %+v", rec)
		}
		wantSettled(t, b, bare.ID, reckon.OutcomeFailed, reckon.SourceAdapter, restore.ReasonMissing)
	})
}

func TestReconcileRunAppliesProofAtOnceAndDeadlinesOnlyWhenPast(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		scope := b.fx.Scope()
		st, err := b.restore.Start(ctx, scope, "backup", []restore.Item{{Key: "a", Payload: json.RawMessage(`{"kind":"x"}`)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		generic := b.genericRun(t, scope, "sha256:g")

		// Another workspace cannot reach the run: it does not exist there.
		other := b.fx.Workspace()
		if _, _, err := b.rec.ReconcileRun(ctx, other.ID, st.Run.ID, "user:1"); reckon.ErrorCodeOf(err) != reckon.CodeNotFound {
			t.Fatalf("foreign workspace: %v, want not_found", err)
		}
		// No proof yet, within the deadline: nothing changes.
		for _, id := range []int64{st.Run.ID, generic.ID} {
			run, changed, err := b.rec.ReconcileRun(ctx, scope.WorkspaceID, id, "user:1")
			if err != nil || changed || run.Status != reckon.RunQueued {
				t.Fatalf("run %d within its deadline: changed=%v status=%v err=%v", id, changed, run.Status, err)
			}
		}
		// Proof applies at once, before any deadline.
		st.Restore.Status, st.Restore.ItemsSucceeded = reckon.RestoreSucceeded, 1
		b.tx(t, func(ctx context.Context, tx *store.Tx) error { return tx.FinishRestore(ctx, st.Restore) })
		run, changed, err := b.rec.ReconcileRun(ctx, scope.WorkspaceID, st.Run.ID, "user:1")
		if err != nil || !changed || run.Outcome != reckon.OutcomeSucceeded || run.Context.Reconciliation.ReasonCode != restore.ReasonCompleted {
			t.Fatalf("proof: changed=%v run=%+v err=%v", changed, run, err)
		}
		if ev := b.audits(t, st.Run.ID); len(ev) != 1 || ev[0].Actor != "user:1" {
			t.Fatalf("audit %+v, want one event by user:1", ev)
		}
		// The deadline path applies once the run is past its deadline.
		b.clock.Advance(b.deadlines().QueuedDeadline + time.Second)
		run, changed, err = b.rec.ReconcileRun(ctx, scope.WorkspaceID, generic.ID, "user:1")
		if err != nil || !changed || run.Failure == nil || run.Failure.ReasonCode != reckon.ReasonStaleQueued {
			t.Fatalf("past the deadline: changed=%v run=%+v err=%v", changed, run, err)
		}
		// Again: a completed run is returned as it is.
		again, changed, err := b.rec.ReconcileRun(ctx, scope.WorkspaceID, generic.ID, "user:1")
		if err != nil || changed || !again.UpdatedAt.Equal(run.UpdatedAt) || len(b.audits(t, generic.ID)) != 1 {
			t.Fatalf("second reconcile-now changed the run: changed=%v err=%v", changed, err)
		}
	})
}

// waitDiscarded starts the queue until the run's job has been discarded.
func (b *testBundle) waitDiscarded(t *testing.T, runs ...*reckon.Run) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := b.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = b.queue.Stop(stopCtx)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for _, run := range runs {
		for {
			var discarded bool
			b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
				discarded, err = tx.JobDiscarded(ctx, run.JobID)
				return err
			})
			if discarded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d of run %d was not discarded", run.JobID, run.ID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestDiscardedJobsSettleTheirRuns(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		scope := b.fx.Scope()
		swept := b.genericRun(t, scope, "sha256:swept")
		now := b.genericRun(t, scope, "sha256:now")
		// The restore job of this run is replaced by the failing one, yet
		// its restore finished: proof still wins over the lost job.
		b.cat.SetJob(reckon.RunTypeRestoreExecute, func(id int64) river.JobArgs { return failArgs{RunID: id} })
		st, err := b.restore.Start(ctx, scope, "backup", []restore.Item{{Key: "a", Payload: json.RawMessage(`{"kind":"x"}`)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		st.Restore.Status, st.Restore.ItemsSucceeded = reckon.RestoreSucceeded, 1
		b.tx(t, func(ctx context.Context, tx *store.Tx) error { return tx.FinishRestore(ctx, st.Restore) })
		b.waitDiscarded(t, swept, now, st.Run)

		// Within every deadline, reconcile-now and the sweep both see the
		// discarded job.
		run, changed, err := b.rec.ReconcileRun(ctx, scope.WorkspaceID, now.ID, "user:2")
		if err != nil || !changed || run.Outcome != reckon.OutcomeFailed {
			t.Fatalf("reconcile now: changed=%v run=%+v err=%v", changed, run, err)
		}
		if res := b.sweep(t); res != (reconcile.Result{Examined: 2, Settled: 2}) {
			t.Fatalf("sweep %+v, want the two other runs settled", res)
		}
		for _, id := range []int64{swept.ID, now.ID} {
			run = wantSettled(t, b, id, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonJobDiscarded)
			if run.Context.Reconciliation.Evidence.JobID != run.JobID || run.JobID == 0 {
				t.Fatalf("evidence %+v, want job %d", run.Context.Reconciliation.Evidence, run.JobID)
			}
		}
		wantSettled(t, b, st.Run.ID, reckon.OutcomeSucceeded, reckon.SourceAdapter, restore.ReasonCompleted)
		if res := b.sweep(t); res != (reconcile.Result{}) {
			t.Fatalf("second sweep %+v, want nothing", res)
		}
	})
}

// brokenAdapter fails for one run and has no proof for others.
type brokenAdapter struct{ failFor int64 }

func (brokenAdapter) Name() string { return "broken" }
func (a brokenAdapter) Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, _ time.Time) (reckon.Decision, error) {
	if run.ID == a.failFor {
		// A write, then a failing statement (invalid JSON is rejected by
		// PostgreSQL, which would abort the whole transaction without the
		// sweep's savepoint; SQLite keeps it until the savepoint rolls back).
		_ = tx.InsertAudit(ctx, &store.AuditEvent{Action: "x", SubjectType: "operation_run", SubjectID: run.ID, Metadata: json.RawMessage(`not json`)})
		return reckon.Decision{}, errors.New("adapter broke")
	}
	return reckon.Decision{}, nil
}

func TestAnAdapterFailureLeavesOnlyThatRunForTheNextSweep(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		a := b.genericRun(t, scope, "a")
		broken := b.genericRun(t, scope, "b")
		c := b.genericRun(t, scope, "c")
		b.cat.RegisterAdapter(reckon.RunTypeReviewCompose, brokenAdapter{failFor: broken.ID})
		b.clock.Advance(time.Hour)
		res, err := b.rec.Sweep(context.Background())
		if !errors.Is(err, reconcile.ErrUnjudged) || res != (reconcile.Result{Examined: 3, Settled: 2, Errors: 1}) {
			t.Fatalf("sweep %+v err %v, want 2 settled and 1 error", res, err)
		}
		wantSettled(t, b, a.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		wantSettled(t, b, c.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		if run := b.run(t, broken.ID); run.Status != reckon.RunQueued || len(b.audits(t, broken.ID)) != 0 {
			t.Fatalf("the broken run was touched: %+v", run)
		}
	})
}

// A service that imports reckon sweeps with a catalog of its own types. Its
// reconciler must leave every other run alone — stale or with a discarded
// job — for the process whose catalog has that type's adapter, since the
// generic path would fail runs that adapter can prove.
func TestAProcessJudgesOnlyTheRunTypesOfItsCatalog(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		scope := b.fx.Scope()
		discarded := b.genericRun(t, scope, "sha256:discarded")
		b.waitDiscarded(t, discarded)
		stale := b.genericRun(t, scope, "sha256:stale") // its job waits: the queue has stopped
		b.clock.Advance(time.Hour)

		service := reconcile.New(b.db, reckontest.ServiceLedger(t), nil)
		if res, err := service.Sweep(ctx); err != nil || res != (reconcile.Result{}) {
			t.Fatalf("the service's sweep: %+v, %v; want nothing examined", res, err)
		}
		_, changed, err := service.ReconcileRun(ctx, scope.WorkspaceID, stale.ID, "user:2")
		var coded *reckon.Error
		if changed || !errors.As(err, &coded) || coded.Code != reckon.CodeConflict || coded.Message.Key != "reconcile.run_type_elsewhere" {
			t.Fatalf("the service's reconcile now: changed=%v err=%v, want a conflict naming the type", changed, err)
		}
		for _, id := range []int64{stale.ID, discarded.ID} {
			if run := b.run(t, id); run.Status != reckon.RunQueued {
				t.Fatalf("run %d is %s, want it left queued", id, run.Status)
			}
		}

		// The process whose catalog has the type settles both.
		if res := b.sweep(t); res != (reconcile.Result{Examined: 2, Settled: 2}) {
			t.Fatalf("sweep %+v, want both runs settled", res)
		}
		wantSettled(t, b, stale.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		wantSettled(t, b, discarded.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonJobDiscarded)
	})
}
