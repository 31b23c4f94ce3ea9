package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// InsertRunIfAbsent checks the run's scope in the insert itself: an
// environment of another workspace inserts nothing and answers ErrNotFound,
// while a run without an environment needs none.
func TestInsertRunChecksTheEnvironmentsWorkspace(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		a, b := fx.Workspace(), fx.Workspace()
		envB := fx.Environment(b)
		insert := func(scope reckon.Scope, identity string) (*reckon.Run, bool, error) {
			var run *reckon.Run
			var created bool
			err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
				run, created, err = tx.InsertRunIfAbsent(context.Background(), &store.RunInsert{Scope: scope,
					Type: reckon.RunTypeRestoreExecute, IdentityHash: identity, DeadlineAt: tx.Now().Add(time.Hour)})
				return err
			})
			return run, created, err
		}

		if _, _, err := insert(reckon.Scope{WorkspaceID: a.ID, EnvironmentID: envB.ID}, "sha256:x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run of workspace A in B's environment: %v, want ErrNotFound", err)
		}
		if _, _, err := insert(reckon.Scope{WorkspaceID: a.ID, EnvironmentID: 424242}, "sha256:x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run in a missing environment: %v, want ErrNotFound", err)
		}
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			n, err := tx.CountRuns(ctx, a.ID)
			if err == nil && n != 0 {
				t.Errorf("refused inserts left %d runs", n)
			}
			return err
		})

		run, created, err := insert(reckon.Scope{WorkspaceID: a.ID}, "sha256:x")
		if err != nil || !created || run.EnvironmentID != 0 || run.WorkspaceID != a.ID {
			t.Fatalf("workspace-wide run: %+v created=%v err=%v", run, created, err)
		}
		again, created, err := insert(reckon.Scope{WorkspaceID: a.ID}, "sha256:x")
		if err != nil || created || again.ID != run.ID {
			t.Fatalf("same identity again: %+v created=%v err=%v, want run %d", again, created, err, run.ID)
		}
		inB, created, err := insert(reckon.Scope{WorkspaceID: b.ID, EnvironmentID: envB.ID}, "sha256:x")
		if err != nil || !created || inB.EnvironmentID != envB.ID {
			t.Fatalf("run in its own workspace's environment: %+v created=%v err=%v", inB, created, err)
		}
	})
}
