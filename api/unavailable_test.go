package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A database that stays locked by another process through the store's
// retries answers 503 unavailable with Retry-After, never 500. (The
// PostgreSQL side of the same retries — cut connections, deadlocks — is
// tested in store.)
func TestLockedDatabaseAnswersUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := reckontest.URL(t, store.SQLite)
	db, err := store.Open(ctx, url, &store.Options{BusyTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := queue.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, db)

	release := reckontest.HoldSQLiteLock(t, url)

	res := w.get(t, w.owner, "/api/v1/workspaces")
	if res.Status != http.StatusServiceUnavailable || res.errorCode() != "unavailable" {
		t.Fatalf("GET /workspaces while the database is locked: %d %s, want 503 unavailable: %s", res.Status, res.errorCode(), res.Body)
	}
	if res.Header.Get("Retry-After") == "" || !strings.Contains(res.errorMessage(), "try again") {
		t.Fatalf("503 without Retry-After or a message that says to retry: %v %q", res.Header, res.errorMessage())
	}

	release()
	if res := w.get(t, w.owner, "/api/v1/workspaces"); res.Status != http.StatusOK {
		t.Fatalf("GET /workspaces once the lock is released: %d: %s", res.Status, res.Body)
	}
}
