package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A database that stays locked by another process through the store's
// retries answers 503 unavailable with Retry-After, never 500. (The
// PostgreSQL side of the same retries — cut connections, deadlocks — is
// tested in store.)
func TestLockedDatabaseAnswersUnavailable(t *testing.T) {
	t.Parallel()
	db := reckontest.Open(t, store.SQLite, &reckontest.Options{BusyTimeout: 20 * time.Millisecond})
	w := newWorld(t, db)

	release := reckontest.HoldSQLiteLock(t, db)

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
