package cli

import (
	"context"
	"log/slog"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/internal/telemetry"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// appOptions say what a command needs from the wiring.
type appOptions struct {
	// work makes the queue client work jobs (serve, worker); otherwise it
	// only inserts them.
	work bool
	// maxWorkers bounds concurrent jobs when working.
	maxWorkers int
	// clock is the database's clock; the wall clock when nil.
	clock reckon.Clock
}

// openApp opens the database, brings the schema up to date (or refuses a
// schema that is behind), and wires the process.
func openApp(ctx context.Context, e *env, g *globals, opts appOptions) (*app.App, error) {
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel(e)}))
	db, err := openDatabase(ctx, g.database, &store.Options{Clock: opts.clock}, g.autoMigrate)
	if err != nil {
		return nil, err
	}
	sweepEvery := g.reconcileInterval
	if sweepEvery <= 0 {
		sweepEvery = reconcile.DefaultInterval
	}
	tracing, err := telemetry.FromEnv(ctx, e.getenv)
	if err != nil {
		db.Close()
		return nil, err
	}
	a, err := app.New(db, &app.Options{
		Tracing:    tracing,
		Logger:     log,
		Deadlines:  catalog.Overrides{QueuedDeadline: g.queuedDeadline, RunningDeadline: g.runningDeadline},
		Work:       opts.work,
		MaxWorkers: opts.maxWorkers,
		SweepEvery: sweepEvery,
		// A seam of MainWith; zero in production.
		ComposeDelay: e.seams.ComposeDelay,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// openDatabase opens the database with its schema brought up to date, or,
// without autoMigrate, refuses a schema that is behind.
func openDatabase(ctx context.Context, dbURL string, opts *store.Options, autoMigrate bool) (*store.DB, error) {
	if autoMigrate {
		return queue.OpenMigrated(ctx, dbURL, opts)
	}
	db, err := store.Open(ctx, dbURL, opts)
	if err != nil {
		return nil, err
	}
	err = db.CheckSchema(ctx)
	if err == nil {
		err = queue.CheckSchema(ctx, db)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func logLevel(e *env) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(e.getenv("RECKON_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
