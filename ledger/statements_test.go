package ledger_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// sentBy runs fn in a transaction of its own and returns what the whole
// transaction sent, BEGIN and COMMIT included.
func (b *testBundle) sentBy(t testing.TB, fn func(ctx context.Context, tx *store.Tx) error) store.StatementCount {
	t.Helper()
	before := b.db.Statements()
	b.inTx(t, fn)
	return b.db.Statements().Sub(before)
}

// rawStatement sends one statement through the driver's own transaction, as
// River's calls do.
func rawStatement(ctx context.Context, tx *store.Tx) error {
	switch raw := tx.Raw().(type) {
	case pgx.Tx:
		_, err := raw.Exec(ctx, `SELECT $1::int`, 1)
		return err
	case *sql.Tx:
		_, err := raw.ExecContext(ctx, `SELECT ?1`, 1)
		return err
	}
	return nil
}

// TestLedgerWriteStatements counts what each ledger write costs as a whole
// transaction. On PostgreSQL the ledger's own part of every write is one
// statement, BEGIN travels with the transaction's first statement and
// COMMIT with the statements nothing waits for (the job id), and a
// completion travels with the statement that ends its job: a new run is
// three round trips with River's insert, a start in a transaction of its
// own one, a completion two. SQLite has no round trips to save, no xmax
// and no UPDATE in a CTE: a taken identity is read in a second statement,
// a start records its attempt in a second, and a completion writes its
// event (and the initiator's notification) in more; "other" has no
// initiator.
func TestLedgerWriteStatements(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		type cost struct{ roundTrips, statements, commits int64 }
		want := map[string]cost{
			"new": {3, 5, 1}, "active": {2, 3, 1}, "mark": {2, 3, 1}, "start": {1, 1, 1},
			"complete": {2, 3, 1}, "complete+job": {2, 4, 1},
		}
		if db.Engine() == store.SQLite {
			want = map[string]cost{
				"new": {5, 5, 1}, "active": {4, 4, 1}, "mark": {4, 4, 1}, "start": {4, 4, 1},
				"complete": {5, 5, 1}, "complete+job": {5, 5, 1},
			}
		}
		b := setup(t, db)
		scope := b.fx.Scope()
		initiator := b.fx.User("")
		// River asks the server's version once per client: warm it up.
		b.ensure(t, scope, "sha256:warm")
		other, _ := b.ensure(t, scope, "sha256:other")
		var run *reckon.Run
		p := composeParams(scope, "sha256:a")
		p.InitiatorUserID = initiator.ID
		done := &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"}
		for _, c := range []struct {
			name, key string
			fn        func(ctx context.Context, tx *store.Tx) error
		}{
			{"Ensure of a new run", "new", func(ctx context.Context, tx *store.Tx) (err error) {
				var created bool
				run, created, err = b.ledger.Ensure(ctx, tx, p)
				if err == nil && !created {
					t.Fatal("the run was not created")
				}
				return err
			}},
			{"Ensure of an active identity", "active", func(ctx context.Context, tx *store.Tx) error {
				_, created, err := b.ledger.Ensure(ctx, tx, p)
				if err == nil && created {
					t.Fatal("a second run was created")
				}
				return err
			}},
			{"MarkRunning", "mark", func(ctx context.Context, tx *store.Tx) error {
				_, _, err := b.ledger.MarkRunning(ctx, tx, run.ID)
				return err
			}},
			{"Start, a redelivery", "start", nil},
			{"Complete with audit and notification", "complete", func(ctx context.Context, tx *store.Tx) error {
				_, changed, err := b.ledger.Complete(ctx, tx, run.ID, done)
				if err == nil && !changed {
					t.Fatal("the run was not completed")
				}
				return err
			}},
			{"Complete with the end of its job", "complete+job", func(ctx context.Context, tx *store.Tx) error {
				_, changed, err := b.ledger.Complete(ctx, tx, other.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded,
					Actor: "job", EndJob: rawStatement})
				if err == nil && !changed {
					t.Fatal("the run was not completed")
				}
				return err
			}},
		} {
			var sent store.StatementCount
			if c.fn != nil {
				sent = b.sentBy(t, c.fn)
			} else {
				before := db.Statements()
				started, _, err := b.ledger.Start(context.Background(), db, run.ID)
				if err != nil || started.Attempts != 2 {
					t.Fatalf("Start: %+v, %v; want attempt 2", started, err)
				}
				sent = db.Statements().Sub(before)
			}
			got := cost{sent.RoundTrips, sent.Statements, sent.Commits}
			w := want[c.key]
			if c.key == "new" && got == (cost{w.roundTrips + 1, w.statements + 1, 1}) {
				continue // River notified the queue's listeners of the insert: a statement of its own
			}
			if got != w {
				t.Fatalf("%s sent %d round trips, %d statements, %d commits; want %+v", c.name, got.roundTrips, got.statements, got.commits, w)
			}
		}
		if got := b.counts(t, scope.WorkspaceID); got.audit != 2 || got.notifications != 1 {
			t.Fatalf("%d audit events and %d notifications, want two and one", got.audit, got.notifications)
		}
		if got := b.attempts(t, run.ID); got != 2 {
			t.Fatalf("%d attempts recorded, want 2", got)
		}
	})
}

// attempts counts the attempts recorded of a run.
func (b *testBundle) attempts(t testing.TB, runID int64) int {
	t.Helper()
	var n int
	b.inTx(t, func(ctx context.Context, tx *store.Tx) error {
		attempts, err := tx.RunAttempts(ctx, runID)
		n = len(attempts)
		return err
	})
	return n
}
