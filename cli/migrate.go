package cli

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

var migrateCommands = []command{
	{name: "migrate", summary: "bring the database schema up to date", run: runMigrate},
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	var g globals
	fs := newFlagSet(e, "migrate", &g)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := store.Open(ctx, g.database, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.Source(), err)
	}
	queueApplied, err := queue.Migrate(ctx, db)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"database": db.Source(), "engine": db.Engine(),
			"schema_version": store.SchemaVersion(), "applied": applied, "queue_applied": queueApplied})
	}
	fmt.Fprintf(e.stdout, "%s (%s): schema at version %d (%d applied), job queue %d migrations applied\n",
		db.Source(), db.Engine(), store.SchemaVersion(), applied, queueApplied)
	return nil
}
