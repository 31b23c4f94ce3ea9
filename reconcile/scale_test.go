package reconcile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/store"
)

// insertBatch inserts n runs of one shape created at the clock's time.
func (b *testBundle) insertBatch(t testing.TB, scope reckon.Scope, typ reckon.RunType, status reckon.RunStatus, outcome reckon.Outcome, n int, deadline time.Time) {
	t.Helper()
	b.tx(t, func(ctx context.Context, tx *store.Tx) error {
		return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: typ, Status: status, Outcome: outcome, Count: n,
			KeyPrefix: fmt.Sprintf("gen:%s:%s:%s:%d:", typ, status, outcome, deadline.UnixNano()), CreatedAt: b.clock.Now(), DeadlineAt: deadline})
	})
}

func TestConcurrentSweepersSettleEachRunOnce(t *testing.T) {
	b := setup(t, store.Postgres, &reconcile.Config{BatchSize: 50})
	scope := b.fx.Scope()
	const runs = 2000
	b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunQueued, "", runs/2, t0.Add(time.Minute))
	b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunRunning, "", runs/2, t0.Add(time.Minute))
	b.clock.Advance(time.Hour)

	const sweepers = 4
	results := make([]reconcile.Result, sweepers)
	errs := make([]error, sweepers)
	var wg sync.WaitGroup
	for i := range sweepers {
		wg.Go(func() { results[i], errs[i] = b.rec.Sweep(context.Background()) })
	}
	wg.Wait()
	settled := 0
	for i := range sweepers {
		if errs[i] != nil {
			t.Fatalf("sweeper %d: %v", i, errs[i])
		}
		if results[i].Settled != results[i].Examined {
			t.Fatalf("sweeper %d: %+v, every run it examined was stale", i, results[i])
		}
		settled += results[i].Settled
	}
	if settled != runs {
		t.Fatalf("sweepers settled %d runs in all (%+v), want exactly %d", settled, results, runs)
	}
	var perRun map[int64]int64
	var active int64
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		if active, err = tx.CountRunsPastDeadline(ctx, tx.Now()); err != nil {
			return err
		}
		perRun, err = tx.CountAuditEventsBySubject(ctx, "operation_run")
		return err
	})
	if active != 0 || len(perRun) != runs {
		t.Fatalf("%d runs past deadline, %d runs with audit events; want 0 and %d", active, len(perRun), runs)
	}
	for id, n := range perRun {
		if n != 1 {
			t.Fatalf("run %d has %d audit events, want 1", id, n)
		}
	}
}

func TestNoRunPastItsDeadlineAfterASweepOverAMix(t *testing.T) {
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		scopes := []reckon.Scope{b.fx.Scope(), b.fx.Scope()}
		now := t0.Add(3 * time.Hour)
		past, within := now.Add(-time.Minute), now.Add(time.Hour)
		types := []reckon.RunType{reckon.RunTypeReviewCompose, reckon.RunTypeRestoreExecute}
		outcomes := []reckon.Outcome{reckon.OutcomeSucceeded, reckon.OutcomePartiallySucceeded, reckon.OutcomeBlocked,
			reckon.OutcomeFailed, reckon.OutcomeCancelled}
		total, stale, fresh := 0, 0, 0
		for _, scope := range scopes {
			for _, typ := range types {
				for _, status := range []reckon.RunStatus{reckon.RunQueued, reckon.RunRunning} {
					b.insertBatch(t, scope, typ, status, "", 60, past)
					b.insertBatch(t, scope, typ, status, "", 40, within)
					total, stale, fresh = total+100, stale+60, fresh+40
				}
				for _, o := range outcomes {
					b.insertBatch(t, scope, typ, reckon.RunCompleted, o, 8, past)
					total += 8
				}
			}
		}
		// Restores in every domain state, through the service, so that the
		// adapter has rows to prove from.
		states := []reckon.RestoreStatus{reckon.RestorePending, reckon.RestoreRunning, reckon.RestoreSucceeded,
			reckon.RestorePartiallySucceeded, reckon.RestoreFailed}
		for i := 0; total < 1000; i++ {
			st, err := b.restore.Start(ctx, scopes[i%2], fmt.Sprintf("backup-%d", i),
				[]restore.Item{{Key: "a", Payload: json.RawMessage(`{"kind":"x"}`)}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			switch s := states[i%len(states)]; s {
			case reckon.RestorePending:
			case reckon.RestoreRunning:
				b.markRunning(t, st.Run.ID)
				b.tx(t, func(ctx context.Context, tx *store.Tx) error { return tx.StartRestore(ctx, st.Restore.ID) })
			default:
				st.Restore.Status = s
				b.tx(t, func(ctx context.Context, tx *store.Tx) error { return tx.FinishRestore(ctx, st.Restore) })
			}
			total, stale = total+1, stale+1 // past the restore deadlines at now
		}
		b.clock.Advance(now.Sub(b.clock.Now()))

		res := b.sweep(t)
		var pastDeadline int64
		var active []store.ActiveRunCount
		b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			if pastDeadline, err = tx.CountRunsPastDeadline(ctx, tx.Now()); err != nil {
				return err
			}
			active, err = tx.CountActiveRuns(ctx)
			return err
		})
		stillActive := int64(0)
		for _, c := range active {
			stillActive += c.N
		}
		if pastDeadline != 0 || res.Settled != stale || res.Unchanged != 0 || stillActive != int64(fresh) {
			t.Fatalf("after a sweep over %d runs: %+v, %d past deadline, %d active; want %d settled and the %d within their deadline left",
				total, res, pastDeadline, stillActive, stale, fresh)
		}
	})
}

func TestPeriodicSweepRunsOnTheQueue(t *testing.T) {
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			b := setup(t, engine, nil)
			scope := b.fx.Scope()
			// A run without a job: only the sweep can settle it.
			b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunQueued, "", 1, t0.Add(time.Minute))
			b.clock.Advance(time.Hour)
			var run *reckon.Run
			b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
				runs, err := tx.StaleRuns(ctx, tx.Now(), b.cat.Keys(), store.SweepCursor{}, 10)
				if len(runs) != 1 {
					return fmt.Errorf("%d stale runs, want 1", len(runs))
				}
				run = runs[0]
				return err
			})
			reconcile.Register(b.workers, b.rec)
			q, err := queueWithPeriodic(b)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
				defer stop()
				_ = q.Stop(stopCtx)
			}()
			deadline := time.Now().Add(30 * time.Second)
			for b.run(t, run.ID).Status != reckon.RunCompleted {
				if time.Now().After(deadline) {
					t.Fatal("the periodic sweep did not settle the stale run")
				}
				time.Sleep(100 * time.Millisecond)
			}
			wantSettled(t, b, run.ID, reckon.OutcomeFailed, reckon.SourceLifecycle, reckon.ReasonStaleQueued)
		})
	}
}

// queueWithPeriodic returns a working queue on the bundle's database that
// schedules the periodic sweep.
func queueWithPeriodic(b *testBundle) (*queue.Queue, error) {
	return queue.New(b.db, &queue.Config{Workers: b.workers, FetchPollInterval: 50 * time.Millisecond,
		PeriodicJobs: []*river.PeriodicJob{reconcile.PeriodicJob(time.Hour)}})
}
