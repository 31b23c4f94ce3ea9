package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// openMigrated opens a fresh, migrated database and returns its URL too.
func openMigrated(t *testing.T, engine store.Engine, opts *store.Options) (*store.DB, string) {
	t.Helper()
	url := reckontest.URL(t, engine)
	db, err := store.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, url
}

// terminateOwnBackend has PostgreSQL end the transaction's connection, as
// an administrator's pg_terminate_backend or a server shutdown does. It
// sends nothing on that connection: the transaction's next statement is
// the first to meet the end.
func terminateOwnBackend(t *testing.T, ctx context.Context, url string, tx *store.Tx) {
	t.Helper()
	pid := tx.Raw().(pgx.Tx).Conn().PgConn().PID()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
}

func postgresOnly(t *testing.T) {
	t.Helper()
	if !contains(reckontest.Engines(t), store.Postgres) {
		t.Skip("the PostgreSQL lane is not configured")
	}
}

func contains(engines []store.Engine, e store.Engine) bool {
	for _, x := range engines {
		if x == e {
			return true
		}
	}
	return false
}

// A transaction whose connection the server ends — before a statement,
// or so that it answers COMMIT with the error — did not commit: it runs
// again and commits once.
func TestInTxRunsAgainAfterItsConnectionWasTerminated(t *testing.T) {
	t.Parallel()
	postgresOnly(t)
	for _, atCommit := range []bool{false, true} {
		ctx := context.Background()
		db, url := openMigrated(t, store.Postgres, nil)
		var runs int
		err := db.InTx(ctx, func(tx *store.Tx) error {
			runs++
			if runs == 1 && !atCommit {
				terminateOwnBackend(t, ctx, url, tx)
			}
			if _, err := tx.CreateWorkspace(ctx, "cut", "Cut"); err != nil {
				return err
			}
			if runs == 1 && atCommit {
				// The next statement the connection sends is COMMIT.
				terminateOwnBackend(t, ctx, url, tx)
				time.Sleep(100 * time.Millisecond)
			}
			return nil
		})
		if err != nil || runs != 2 {
			t.Fatalf("at commit %v: InTx: %v after %d runs; want success on the second run", atCommit, err, runs)
		}
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			ws, err := tx.Workspaces(ctx)
			if err != nil || len(ws) != 1 {
				t.Fatalf("at commit %v: workspaces after the retried insert: %d, %v; want 1", atCommit, len(ws), err)
			}
			return nil
		})
	}
}

func TestInTxGivesUpOnAConnectionThatKeepsDyingAsUnavailable(t *testing.T) {
	t.Parallel()
	postgresOnly(t)
	ctx := context.Background()
	db, url := openMigrated(t, store.Postgres, nil)
	var runs int
	err := db.InTx(ctx, func(tx *store.Tx) error {
		runs++
		terminateOwnBackend(t, ctx, url, tx)
		_, err := tx.Workspaces(ctx)
		return err
	})
	if !store.IsUnavailable(err) || runs < 2 {
		t.Fatalf("InTx: %v after %d runs; want ErrUnavailable after several", err, runs)
	}
	if strings.Contains(err.Error(), "internal") {
		t.Fatalf("unexpected error text %q", err)
	}
}

func TestInTxRunsTheLoserOfADeadlockAgain(t *testing.T) {
	t.Parallel()
	postgresOnly(t)
	ctx := context.Background()
	db, _ := openMigrated(t, store.Postgres, nil)
	var a, b int64
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		wa, err := tx.CreateWorkspace(ctx, "a", "A")
		if err != nil {
			return err
		}
		wb, err := tx.CreateWorkspace(ctx, "b", "B")
		a, b = wa.ID, wb.ID
		return err
	})
	// Each transaction locks one row, waits until the other holds its row,
	// then asks for the other's: PostgreSQL aborts one of them.
	var both sync.WaitGroup
	both.Add(2)
	var runs atomic.Int32
	lockInOrder := func(first, second int64) error {
		var once sync.Once
		return db.InTx(ctx, func(tx *store.Tx) error {
			runs.Add(1)
			raw := tx.Raw().(pgx.Tx)
			if _, err := raw.Exec(ctx, `SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, first); err != nil {
				return err
			}
			once.Do(func() { both.Done(); both.Wait() })
			_, err := raw.Exec(ctx, `UPDATE workspaces SET name = name || '.' WHERE id = $1`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockInOrder(a, b) }()
	go func() { errs <- lockInOrder(b, a) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked transaction was not run again: %v", err)
		}
	}
	if n := runs.Load(); n != 3 {
		t.Fatalf("transaction bodies ran %d times; want 3 (one loser run again)", n)
	}
}

func TestInTxRunsAgainWhileAnotherSQLiteProcessHoldsTheLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := openMigrated(t, store.SQLite, &store.Options{BusyTimeout: 50 * time.Millisecond})
	// Another process's writer, holding the file's write lock for a while.
	release := time.AfterFunc(400*time.Millisecond, reckontest.HoldSQLiteLock(t, db))
	defer release.Stop()
	// BEGIN IMMEDIATE meets SQLITE_BUSY after 50ms; only running the
	// transaction again gets past the 400ms the lock is held.
	start := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateWorkspace(ctx, "waiting", "Waiting")
		return err
	})
	if waited := time.Since(start); err != nil || waited < 350*time.Millisecond {
		t.Fatalf("InTx behind a held lock: %v after %s; want success once the lock is released", err, waited)
	}
}

func TestInTxDoesNotRunABodyAgainForItsOwnErrors(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.CreateWorkspace(ctx, "taken", "Taken")
			return err
		})
		mine := errors.New("the body's own error")
		for _, tc := range []struct {
			name string
			body func(tx *store.Tx) error
			want error
		}{
			{"own error", func(*store.Tx) error { return mine }, mine},
			{"conflict", func(tx *store.Tx) error {
				_, err := tx.CreateWorkspace(ctx, "taken", "Again")
				return err
			}, store.ErrConflict},
		} {
			var runs int
			err := db.InTx(ctx, func(tx *store.Tx) error { runs++; return tc.body(tx) })
			if !errors.Is(err, tc.want) || runs != 1 || store.IsUnavailable(err) {
				t.Errorf("%s: %v after %d runs; want %v after one", tc.name, err, runs, tc.want)
			}
		}
	})
}
