package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// sentBy returns what fn sent to the database.
func sentBy(t *testing.T, db *store.DB, fn func() error) store.StatementCount {
	t.Helper()
	before := db.Statements()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	return db.Statements().Sub(before)
}

// workspaceNames lists the workspaces as "slug:name", in their order.
func workspaceNames(t *testing.T, db *store.DB) string {
	t.Helper()
	var names []string
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ws, err := tx.Workspaces(ctx)
		for _, w := range ws {
			names = append(names, w.Slug+":"+w.Name)
		}
		return err
	})
	return strings.Join(names, " ")
}

// On PostgreSQL a transaction's BEGIN travels with its first statement —
// River's, through the driver's transaction, as well as the store's — and
// a statement nothing waits for travels with COMMIT; a transaction that
// sent nothing sends nothing at all. SQLite's statements are calls into
// the engine, one each.
func TestATransactionSpendsOneRoundTripPerAnswerItWaitsFor(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pg := db.Engine() == store.Postgres
		for _, c := range []struct {
			name       string
			body       func(tx *store.Tx) error
			pg, sqlite store.StatementCount
		}{
			{"nothing", func(*store.Tx) error { return nil },
				store.StatementCount{}, store.StatementCount{RoundTrips: 2, Statements: 2, Commits: 1}},
			{"one write", func(tx *store.Tx) error {
				_, err := tx.CreateWorkspace(ctx, "one", "One")
				return err
			}, store.StatementCount{RoundTrips: 2, Statements: 3, Commits: 1}, store.StatementCount{RoundTrips: 3, Statements: 3, Commits: 1}},
			{"a write and a later one", func(tx *store.Tx) error {
				w, err := tx.CreateWorkspace(ctx, "two", "Two")
				if err != nil {
					return err
				}
				return tx.ExecLater(ctx, `UPDATE workspaces SET name = $2 WHERE id = $1`, w.ID, "Two again")
			}, store.StatementCount{RoundTrips: 2, Statements: 4, Commits: 1}, store.StatementCount{RoundTrips: 4, Statements: 4, Commits: 1}},
			{"the driver's statement first", func(tx *store.Tx) error {
				if !pg {
					return nil
				}
				var n int
				return tx.Raw().(pgx.Tx).QueryRow(ctx, `SELECT $1::int`, 7).Scan(&n)
			}, store.StatementCount{RoundTrips: 2, Statements: 3, Commits: 1}, store.StatementCount{RoundTrips: 2, Statements: 2, Commits: 1}},
		} {
			want := c.sqlite
			if pg {
				want = c.pg
			}
			if got := sentBy(t, db, func() error { return db.InTx(ctx, c.body) }); got != want {
				t.Errorf("%s: sent %+v, want %+v", c.name, got, want)
			}
		}
		if got := workspaceNames(t, db); got != "one:One two:Two again" {
			t.Fatalf("workspaces %q, want one and two, renamed", got)
		}
	})
}

// A statement whose answer nobody waited for still decides its
// transaction: when it fails, nothing of the transaction commits, and the
// failure is the transaction's error.
func TestALaterStatementThatFailsRollsItsTransactionBack(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.CreateWorkspace(ctx, "taken", "Taken")
			return err
		})
		var runs int
		err := db.InTx(ctx, func(tx *store.Tx) error {
			runs++
			if _, err := tx.CreateWorkspace(ctx, "fresh", "Fresh"); err != nil {
				return err
			}
			return tx.ExecLater(ctx, `INSERT INTO workspaces (slug, name, created_at) VALUES ($1, $2, $3)`,
				"taken", "Again", tx.Now())
		})
		if !errors.Is(err, store.ErrConflict) || runs != 1 {
			t.Fatalf("InTx: %v after %d runs; want the conflict after one", err, runs)
		}
		if got := workspaceNames(t, db); got != "taken:Taken" {
			t.Fatalf("workspaces %q, want only the first", got)
		}
	})
}

// A savepoint of the driver's transaction (pgx's pseudo-nested Begin) rolls
// back what it wrapped and nothing more.
func TestADriverSavepointRollsBackOnlyItsOwnStatements(t *testing.T) {
	t.Parallel()
	postgresOnly(t)
	db, _ := openMigrated(t, store.Postgres, nil)
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		raw := tx.Raw().(pgx.Tx)
		insert := `INSERT INTO workspaces (slug, name, created_at) VALUES ($1, $1, now())`
		if _, err := raw.Exec(ctx, insert, "before"); err != nil {
			return err
		}
		sp, err := raw.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := sp.Exec(ctx, insert, "inside"); err != nil {
			return err
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		_, err = raw.Exec(ctx, insert, "after")
		return err
	})
	if got := workspaceNames(t, db); got != "after:after before:before" {
		t.Fatalf("workspaces %q, want after and before", got)
	}
}

// InStatement sends a write without BEGIN and COMMIT: one round trip that
// commits. It runs its body again when the server refused the first
// statement, never once a statement may have committed.
func TestInStatementIsOneRoundTripAndRunsAgainOnlyBeforeItsFirstStatement(t *testing.T) {
	t.Parallel()
	postgresOnly(t)
	ctx := context.Background()
	db, url := openMigrated(t, store.Postgres, nil)
	write := func(slug string) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			_, err := tx.CreateWorkspace(ctx, slug, slug)
			return err
		}
	}
	if got, want := sentBy(t, db, func() error { return db.InStatement(ctx, write("single")) }),
		(store.StatementCount{RoundTrips: 1, Statements: 1, Commits: 1}); got != want {
		t.Fatalf("InStatement sent %+v, want %+v", got, want)
	}

	var runs int
	err := db.InStatement(ctx, func(tx *store.Tx) error {
		if runs++; runs == 1 {
			terminateOwnBackend(t, ctx, url, tx)
		}
		return write("refused")(tx)
	})
	if err != nil || runs != 2 {
		t.Fatalf("a statement refused by the server: %v after %d runs; want success on the second run", err, runs)
	}

	runs = 0
	err = db.InStatement(ctx, func(tx *store.Tx) error {
		runs++
		if err := write("landed")(tx); err != nil {
			return err
		}
		terminateOwnBackend(t, ctx, url, tx)
		return write("lost")(tx)
	})
	if !store.IsUnavailable(err) || runs != 1 {
		t.Fatalf("a connection lost after a statement landed: %v after %d runs; want ErrUnavailable after one", err, runs)
	}
	if got := workspaceNames(t, db); got != "landed:landed refused:refused single:single" {
		t.Fatalf("workspaces %q, want landed, refused and single, once each", got)
	}
}
