package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// plan returns the stale-run query's plan at the clock's time.
func (b *testBundle) plan(t testing.TB) string {
	t.Helper()
	var plan string
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		if err = tx.AnalyzeRuns(ctx); err != nil {
			return err
		}
		plan, err = tx.ExplainStaleRuns(ctx, tx.Now(), b.cat.Keys(), 100)
		return err
	})
	return plan
}

func TestStaleRunQueryWalksTheActiveDeadlineIndex(t *testing.T) {
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunCompleted, reckon.OutcomeSucceeded, 10_000, t0.Add(time.Minute))
		b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunQueued, "", 100, t0.Add(time.Minute))
		b.clock.Advance(time.Hour)
		if plan := b.plan(t); !strings.Contains(plan, "operation_runs_active_deadline") {
			t.Fatalf("the stale-run query does not use the active-deadline index:\n%s", plan)
		}
	})
}

// BenchmarkSweep times one sweep over 1,000 stale runs among a history of
// completed runs (PostgreSQL). The sweep walks the partial active-deadline
// index, so the history's size should not matter.
func BenchmarkSweep(b *testing.B) {
	for _, history := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			bb := setup(b, store.Postgres, nil)
			scope := bb.fx.Scope()
			bb.insertBatch(b, scope, reckon.RunTypeReviewCompose, reckon.RunCompleted, reckon.OutcomeSucceeded, history, t0)
			b.Logf("plan with %d completed runs:\n%s", history, bb.plan(b))
			b.ResetTimer()
			var sent store.StatementCount
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bb.insertBatch(b, scope, reckon.RunTypeReviewCompose, reckon.RunQueued, "", 1000, bb.clock.Now().Add(time.Minute))
				bb.clock.Advance(time.Hour)
				b.StartTimer()
				before := bb.db.Statements()
				res, err := bb.rec.Sweep(context.Background())
				sent = sent.Add(bb.db.Statements().Sub(before))
				if err != nil || res.Settled != 1000 {
					b.Fatalf("sweep %+v: %v", res, err)
				}
			}
			b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "settlements/s")
			b.ReportMetric(float64(sent.Statements)/float64(1000*b.N), "statements/settlement")
		})
	}
}
