package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// TestSweepSettlesABatchInOneWrite proves the sweep writes a batch's
// deadline-only decisions together — a few statements a batch on
// PostgreSQL, whatever its size — and still one audit event per run.
func TestSweepSettlesABatchInOneWrite(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		const stale = 250 // three batches of DefaultBatchSize
		scope := b.fx.Scope()
		b.insertBatch(t, scope, reckon.RunTypeReviewCompose, reckon.RunQueued, "", stale, b.clock.Now().Add(time.Minute))
		b.clock.Advance(time.Hour)
		before := b.db.Statements()
		res := b.sweep(t)
		sent := b.db.Statements().Sub(before)
		if res.Settled != stale || res.Errors != 0 {
			t.Fatalf("sweep %+v, want %d settled", res, stale)
		}
		// Per batch: BEGIN, the locking select, a savepoint and its release,
		// the completion, COMMIT; and the empty batches that end each pass.
		limit := int64(40)
		if b.db.Engine() == store.SQLite {
			limit += 2 * stale // an update and an audit insert per run
		}
		if sent.Statements > limit {
			t.Fatalf("sweep of %d stale runs sent %d statements, want at most %d", stale, sent.Statements, limit)
		}
		var perRun map[int64]int64
		b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			perRun, err = tx.CountAuditEventsBySubject(ctx, "operation_run")
			return err
		})
		if len(perRun) != stale {
			t.Fatalf("audit events for %d runs, want %d", len(perRun), stale)
		}
		for id, n := range perRun {
			if n != 1 {
				t.Fatalf("run %d has %d audit events, want 1", id, n)
			}
		}
	})
}
