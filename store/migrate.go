package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS reckon_schema_migrations (
	version INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
)`

// Migrate brings reckon's schema up to date. It is safe to run concurrently
// from several processes on PostgreSQL (an advisory lock serialises them) and
// returns how many migrations it applied.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	return db.migrateTo(ctx, len(migrations))
}

// migrateTo applies the migrations up to version target.
func (db *DB) migrateTo(ctx context.Context, target int) (applied int, err error) {
	err = db.InTx(ctx, func(tx *Tx) error {
		applied = 0 // afresh when the transaction runs again
		if tx.engine == Postgres {
			// Serialise concurrent migrators; released at commit.
			if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(7301001)`); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("store: create migrations table: %w", err)
		}
		current, err := tx.schemaVersion(ctx)
		if err != nil {
			return err
		}
		if current > len(migrations) {
			return schemaAhead(current)
		}
		for v := current + 1; v <= target; v++ {
			text, err := renderMigration(tx.engine, migrations[v-1])
			if err != nil {
				return fmt.Errorf("store: render migration %d: %w", v, err)
			}
			if err := tx.execScript(ctx, text); err != nil {
				return fmt.Errorf("store: migration %d: %w", v, err)
			}
			if _, err := tx.exec(ctx, `INSERT INTO reckon_schema_migrations (version, applied_at) VALUES ($1, $2)`,
				v, formatTime(tx.now)); err != nil {
				return err
			}
			applied++
		}
		return nil
	})
	return applied, err
}

// execScript runs a multi-statement script. pgx runs it in one simple-protocol
// call; database/sql with SQLite runs it statement by statement.
func (tx *Tx) execScript(ctx context.Context, script string) error {
	if tx.pg != nil {
		_, err := tx.pg.Exec(ctx, script)
		return err
	}
	_, err := tx.sq.ExecContext(ctx, script)
	return err
}

func (tx *Tx) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM reckon_schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns a CodeSchemaBehind error when the database's schema is
// not the one this binary expects.
func (db *DB) CheckSchema(ctx context.Context) error {
	return db.InTx(ctx, func(tx *Tx) error {
		var exists bool
		var err error
		if tx.engine == Postgres {
			err = tx.queryRow(ctx, `SELECT to_regclass('reckon_schema_migrations') IS NOT NULL`).Scan(&exists)
		} else {
			err = tx.queryRow(ctx, `SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'reckon_schema_migrations'`).Scan(&exists)
		}
		if err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		current := 0
		if exists {
			if current, err = tx.schemaVersion(ctx); err != nil {
				return err
			}
		}
		switch {
		case current > len(migrations):
			return schemaAhead(current)
		case current < len(migrations):
			return &reckon.Error{Code: reckon.CodeSchemaBehind,
				Message: reckon.Msg("error.schema_behind", "current", current, "want", len(migrations)),
				Err:     fmt.Errorf("database schema is at version %d, this binary needs %d: run reckon migrate", current, len(migrations))}
		}
		return nil
	})
}

func schemaAhead(current int) error {
	return &reckon.Error{Code: reckon.CodeSchemaBehind,
		Message: reckon.Msg("error.schema_ahead", "current", current, "want", len(migrations)),
		Err:     fmt.Errorf("database schema is at version %d, newer than this binary's %d: upgrade reckon", current, len(migrations))}
}
