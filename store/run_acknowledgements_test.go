package store_test

import (
	"context"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A count stops where it is told to; an acknowledgement is recorded once and
// takes its run out of the unresolved ones.
func TestCountCapsAndAcknowledgementsResolve(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		scope := reckontest.NewFixture(t, db).Scope()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeRestoreExecute,
				Status: reckon.RunCompleted, Outcome: reckon.OutcomeFailed, Count: 5, KeyPrefix: "ack-",
				CreatedAt: tx.Now(), DeadlineAt: tx.Now()}); err != nil {
				return err
			}
			f := &store.RunFilter{WorkspaceID: scope.WorkspaceID}
			for upTo, want := range map[int64]int64{0: 5, 3: 3, 9: 5} {
				if n, err := tx.CountMatchingRuns(ctx, f, upTo); err != nil || n != want {
					t.Errorf("count up to %d: %d, %v; want %d", upTo, n, err, want)
				}
			}
			runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: scope.WorkspaceID, Limit: 1})
			if err != nil {
				return err
			}
			ack := &store.RunAcknowledgement{RunID: runs[0].ID, WorkspaceID: scope.WorkspaceID, Actor: "user:1", Note: "n"}
			for i, want := range []bool{true, false} {
				if created, err := tx.InsertRunAcknowledgement(ctx, ack); err != nil || created != want {
					t.Errorf("acknowledgement %d: created %v, %v", i, created, err)
				}
			}
			got, err := tx.RunAcknowledgementOf(ctx, scope.WorkspaceID, runs[0].ID)
			if err != nil || got.Actor != "user:1" || got.Note != "n" {
				t.Errorf("acknowledgement read back: %+v, %v", got, err)
			}
			if _, err := tx.RunAcknowledgementOf(ctx, scope.WorkspaceID+1, runs[0].ID); !store.IsNotFound(err) {
				t.Errorf("another workspace's acknowledgement: %v", err)
			}
			n, err := tx.CountMatchingRuns(ctx, &store.RunFilter{WorkspaceID: scope.WorkspaceID, Unresolved: true}, 0)
			if err != nil || n != 4 {
				t.Errorf("unresolved: %d, %v; want 4", n, err)
			}
			a, err := tx.RunAttentionOf(ctx, scope, tx.Now())
			if err != nil || a.Failed != 4 {
				t.Errorf("attention: %+v, %v; want 4 failed", a, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
