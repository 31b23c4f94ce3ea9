package ledger_test

import (
	"context"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// TestLedgerWriteStatements counts what each write sends inside its
// transaction: the ledger's own part of every write is one statement on
// PostgreSQL, and a new run adds River's insert and the job id; a start adds
// the record of its attempt (on which node it ran). SQLite has
// no xmax and no UPDATE in a CTE: a taken identity is read in a second
// statement, and a completion writes its event and notification in two more.
// statementsOf runs fn in a transaction and returns how many statements it
// sent inside it.
func (b *testBundle) statementsOf(t testing.TB, fn func(ctx context.Context, tx *store.Tx) error) int64 {
	t.Helper()
	var n int64
	b.inTx(t, func(ctx context.Context, tx *store.Tx) error {
		before := b.db.Statements()
		err := fn(ctx, tx)
		n = b.db.Statements().Sub(before).Statements
		return err
	})
	return n
}

func TestLedgerWriteStatements(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		want := map[string]int64{"active": 1, "start": 2, "complete": 1}
		if db.Engine() == store.SQLite {
			want = map[string]int64{"active": 2, "start": 2, "complete": 3}
		}
		b := setup(t, db)
		scope := b.fx.Scope()
		initiator := b.fx.User("")
		// River asks the server's version once per client: warm it up.
		b.ensure(t, scope, "sha256:warm")
		sent := func(fn func(ctx context.Context, tx *store.Tx) error) int64 { return b.statementsOf(t, fn) }
		var run *reckon.Run
		p := composeParams(scope, "sha256:a")
		p.InitiatorUserID = initiator.ID
		// The run, River's insert (and at times its notification), the job id.
		if n := sent(func(ctx context.Context, tx *store.Tx) (err error) {
			run, _, err = b.ledger.Ensure(ctx, tx, p)
			return err
		}); n < 3 || (db.Engine() == store.Postgres && n > 4) {
			t.Fatalf("Ensure of a new run sent %d statements, want 3 (or 4 with River's notification)", n)
		}
		for _, c := range []struct {
			name, key string
			fn        func(ctx context.Context, tx *store.Tx) error
		}{
			{"Ensure of an active identity", "active", func(ctx context.Context, tx *store.Tx) error {
				_, created, err := b.ledger.Ensure(ctx, tx, p)
				if err == nil && created {
					t.Fatal("a second run was created")
				}
				return err
			}},
			{"MarkRunning", "start", func(ctx context.Context, tx *store.Tx) error {
				_, _, err := b.ledger.MarkRunning(ctx, tx, run.ID)
				return err
			}},
			{"Complete with audit and notification", "complete", func(ctx context.Context, tx *store.Tx) error {
				_, changed, err := b.ledger.Complete(ctx, tx, run.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"})
				if err == nil && !changed {
					t.Fatal("the run was not completed")
				}
				return err
			}},
		} {
			if n := sent(c.fn); n != want[c.key] {
				t.Fatalf("%s sent %d statements, want %d", c.name, n, want[c.key])
			}
		}
		if got := b.counts(t, scope.WorkspaceID); got.audit != 1 || got.notifications != 1 {
			t.Fatalf("%d audit events and %d notifications, want one each", got.audit, got.notifications)
		}
	})
}
