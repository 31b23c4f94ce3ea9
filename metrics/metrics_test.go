package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/metrics"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

func TestMetricsFollowTheRunsAndTheSweeps(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			t0 := reckontest.Epoch()
			clock := reckontest.NewClock(t0)
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			scope := reckontest.NewFixture(t, db).Scope()
			batch := func(typ reckon.RunType, status reckon.RunStatus, n int, deadline time.Time) {
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: typ, Status: status, Count: n,
						KeyPrefix: string(typ) + string(status) + deadline.String(), CreatedAt: t0, DeadlineAt: deadline})
				}); err != nil {
					t.Fatal(err)
				}
			}
			batch(reckon.RunTypeReviewCompose, reckon.RunQueued, 3, t0.Add(time.Minute))
			batch(reckon.RunTypeReviewCompose, reckon.RunRunning, 2, t0.Add(2*time.Hour))
			batch(reckon.RunTypeRestoreExecute, reckon.RunRunning, 1, t0.Add(time.Minute))
			clock.Advance(time.Hour)

			reg := prometheus.NewPedanticRegistry()
			m, err := metrics.New(reg, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := `
# HELP reckon_runs_active Queued and running runs, by run type and status.
# TYPE reckon_runs_active gauge
reckon_runs_active{status="queued",type="environment.review.compose"} 3
reckon_runs_active{status="running",type="environment.review.compose"} 2
reckon_runs_active{status="running",type="restore.execute"} 1
# HELP reckon_runs_past_deadline Active runs past their deadline, waiting for the reconciler.
# TYPE reckon_runs_past_deadline gauge
reckon_runs_past_deadline 4
`
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "reckon_runs_active", "reckon_runs_past_deadline"); err != nil {
				t.Fatal(err)
			}

			rec := reconcile.New(db, ledger.New(catalog.Default(), nil), &reconcile.Config{Observer: m})
			if res, err := rec.Sweep(ctx); err != nil || res.Settled != 4 {
				t.Fatalf("sweep %+v: %v", res, err)
			}
			want = `
# HELP reckon_reconcile_settlements_total Runs settled by reconciliation, by run type and reason code.
# TYPE reckon_reconcile_settlements_total counter
reckon_reconcile_settlements_total{reason_code="run.stale_queued",type="environment.review.compose"} 3
reckon_reconcile_settlements_total{reason_code="run.stale_running",type="restore.execute"} 1
# HELP reckon_runs_active Queued and running runs, by run type and status.
# TYPE reckon_runs_active gauge
reckon_runs_active{status="queued",type="environment.review.compose"} 0
reckon_runs_active{status="running",type="environment.review.compose"} 2
reckon_runs_active{status="running",type="restore.execute"} 0
# HELP reckon_runs_past_deadline Active runs past their deadline, waiting for the reconciler.
# TYPE reckon_runs_past_deadline gauge
reckon_runs_past_deadline 0
`
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
				"reckon_reconcile_settlements_total", "reckon_runs_active", "reckon_runs_past_deadline"); err != nil {
				t.Fatal(err)
			}
			if n := testutil.CollectAndCount(reg, "reckon_reconcile_sweep_duration_seconds"); n != 1 {
				t.Fatalf("sweep duration series: %d, want 1", n)
			}
		})
	}
}
