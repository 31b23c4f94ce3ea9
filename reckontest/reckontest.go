// Package reckontest opens real databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema whenever RECKON_TEST_POSTGRES_URL is
// set. In CI (CI=true) a missing PostgreSQL URL fails the test instead of
// skipping it, so the PostgreSQL lane cannot silently disappear.
package reckontest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// PostgresURLEnv names the environment variable with the PostgreSQL URL.
const PostgresURLEnv = "RECKON_TEST_POSTGRES_URL"

// Engines returns the engines the behaviour suite runs on.
func Engines(t testing.TB) []store.Engine {
	t.Helper()
	engines := []store.Engine{store.SQLite}
	if os.Getenv(PostgresURLEnv) != "" {
		engines = append(engines, store.Postgres)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: the PostgreSQL lane is required in CI", PostgresURLEnv)
	}
	return engines
}

// EachEngine runs fn as a subtest per engine, named after the engine, with a
// fresh migrated database.
func EachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, engine := range Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, Open(t, engine, nil))
		})
	}
}

// EachEngineAt is EachEngine on databases whose transactions read the time
// from clock: a test whose rows carry times derived from Epoch (captures,
// deadlines) runs at that epoch, wherever real time is.
func EachEngineAt(t *testing.T, clock reckon.Clock, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, engine := range Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, Open(t, engine, &Options{Clock: clock}))
		})
	}
}

// Options configure Open.
type Options struct {
	Clock    reckon.Clock
	MaxConns int32
	// BusyTimeout shortens SQLite's wait for another process's lock.
	BusyTimeout time.Duration
}

// Open returns a fresh, migrated database (reckon's and River's schema) of
// the engine, removed when the test ends.
func Open(t testing.TB, engine store.Engine, opts *Options) *store.DB {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	db, err := queue.OpenMigrated(context.Background(), URL(t, engine),
		&store.Options{Clock: opts.Clock, MaxConns: opts.MaxConns, BusyTimeout: opts.BusyTimeout})
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(db.Close)
	return db
}

// URL returns the URL of a fresh, empty database of the engine: a new SQLite
// file, or a new PostgreSQL schema selected through search_path. Both are
// removed when the test ends.
func URL(t testing.TB, engine store.Engine) string {
	t.Helper()
	switch engine {
	case store.SQLite:
		return "sqlite:" + t.TempDir() + "/reckon.db"
	case store.Postgres:
		base := os.Getenv(PostgresURLEnv)
		if base == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set: the PostgreSQL lane is required in CI", PostgresURLEnv)
			}
			t.Skipf("%s is not set", PostgresURLEnv)
		}
		schemaURL, drop, err := store.ScratchSchema(context.Background(), base, "t")
		if err != nil {
			t.Fatalf("create a test schema: %v", err)
		}
		t.Cleanup(func() { _ = drop(context.Background()) })
		return schemaURL
	}
	t.Fatalf("unknown engine %q", engine)
	return ""
}
