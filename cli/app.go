package cli

import (
	"context"
	"fmt"
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
	db, err := store.Open(ctx, g.database, &store.Options{Clock: opts.clock})
	if err != nil {
		return nil, err
	}
	if err := prepareSchema(ctx, db, g.autoMigrate); err != nil {
		db.Close()
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

func prepareSchema(ctx context.Context, db *store.DB, autoMigrate bool) error {
	if autoMigrate {
		if err := app.Migrate(ctx, db); err != nil {
			return fmt.Errorf("migrate %s: %w", db.Source(), err)
		}
		return nil
	}
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	return queue.CheckSchema(ctx, db)
}

func logLevel(e *env) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(e.getenv("RECKON_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
