package console_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A database locked by another process through the store's retries shows
// an error page that says to try again, with Retry-After — never 500.
func TestLockedDatabaseShowsATryAgainPage(t *testing.T) {
	t.Parallel()
	clock := reckontest.NewClock(start)
	db := reckontest.Open(t, store.SQLite, &reckontest.Options{Clock: clock.Now, BusyTimeout: 20 * time.Millisecond})
	w := newWorld(t, db, clock)
	reader := w.as(t, "readonly")
	release := reckontest.HoldSQLiteLock(t, db)
	p := reader.get(t, "/admin")
	expect(t, p, http.StatusServiceUnavailable, en("console.error.heading.unavailable"), en("console.error.unavailable"))
	if p.header.Get("Retry-After") == "" {
		t.Fatalf("503 page without Retry-After: %v", p.header)
	}
	release()
	if p := reader.get(t, "/admin"); p.status >= 500 {
		t.Fatalf("once the lock is released: %d", p.status)
	}
}
