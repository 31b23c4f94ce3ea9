package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A node's heartbeat ages; a node that stopped never beats again; the open
// attempt of a running run on a dead node is an orphan until it is handed
// on, once.
func TestNodesAttemptsAndOrphans(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			clock := reckontest.EpochClock()
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			scope := reckontest.NewFixture(t, db).Scope()
			var a, b *store.Node
			var run *reckon.Run
			inTx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				if a, err = tx.RegisterNode(ctx, "host-1", "client-a"); err != nil {
					return err
				}
				if b, err = tx.RegisterNode(ctx, "host-2", "client-b"); err != nil {
					return err
				}
				run, _, err = tx.InsertRunIfAbsent(ctx, &store.RunInsert{Scope: scope, Type: reckon.RunTypeReviewCompose,
					IdentityHash: "h", DeadlineAt: tx.Now().Add(time.Hour)})
				if err != nil {
					return err
				}
				now := tx.Now()
				run.Status, run.StartedAt, run.Attempts = reckon.RunRunning, &now, 1
				if err := tx.UpdateRun(ctx, run); err != nil {
					return err
				}
				return tx.StartRunAttempt(ctx, run.ID, 1, a.ID)
			})
			orphans := func(deadAfter time.Duration) []store.OrphanedAttempt {
				var list []store.OrphanedAttempt
				inTx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
					list, err = tx.OrphanedAttempts(ctx, tx.Now().Add(-deadAfter), 10)
					return err
				})
				return list
			}
			if got := orphans(15 * time.Second); len(got) != 0 {
				t.Fatalf("orphans of live nodes: %+v", got)
			}
			// Node a misses its beats; node b keeps beating.
			clock.Advance(20 * time.Second)
			inTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.HeartbeatNode(ctx, b.ID) })
			got := orphans(15 * time.Second)
			if len(got) != 1 || got[0].RunID != run.ID || got[0].Attempt != 1 || got[0].NodeID != a.ID {
				t.Fatalf("orphans after node a went quiet: %+v", got)
			}
			inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
				for i, want := range []bool{true, false} {
					ok, err := tx.HandOnAttempt(ctx, run.ID, 1)
					if err != nil || ok != want {
						t.Fatalf("hand on #%d: %v, %v; want %v", i+1, ok, err, want)
					}
				}
				// The next delivery counts attempt 2, as the ledger's start does.
				run.Attempts = 2
				if err := tx.UpdateRun(ctx, run); err != nil {
					return err
				}
				return tx.StartRunAttempt(ctx, run.ID, 2, b.ID)
			})
			if got := orphans(15 * time.Second); len(got) != 0 {
				t.Fatalf("orphans after the hand-on: %+v", got)
			}
			// A stopped node is dead at once, and stays so.
			inTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.StopNode(ctx, b.ID) })
			if got := orphans(time.Hour); len(got) != 1 || got[0].Attempt != 2 {
				t.Fatalf("orphans of a stopped node: %+v", got)
			}
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.HeartbeatNode(ctx, b.ID) })
			if !store.IsNotFound(err) {
				t.Fatalf("heartbeat of a stopped node: %v, want not found", err)
			}
			var list []*store.RunAttempt
			inTx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				list, err = tx.RunAttempts(ctx, run.ID)
				return err
			})
			if len(list) != 2 || list[0].NodeName != "host-1" || list[0].HandedOnAt == nil || list[0].EndedAt == nil ||
				list[1].NodeName != "host-2" || list[1].EndedAt != nil {
				t.Fatalf("attempts: %+v, %+v", list[0], list[len(list)-1])
			}
		})
	}
}
