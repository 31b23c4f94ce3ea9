package reckontest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/reckonhq/reckon/store"
)

// HoldSQLiteLock takes the write lock of the SQLite database db from a
// connection of its own, as another process's writer would, and returns
// release, which lets it go (safe to call more than once; the test's end
// calls it too).
func HoldSQLiteLock(t testing.TB, db *store.DB) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(db.Source(), "sqlite:")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	held, err := other.BeginTx(ctx, nil)
	if err != nil {
		other.Close()
		t.Fatal(err)
	}
	if _, err := held.ExecContext(ctx, `UPDATE workspaces SET name = name`); err != nil {
		other.Close()
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = held.Rollback()
			_ = other.Close()
		})
	}
	t.Cleanup(release)
	return release
}
