package store

import (
	"context"
	"encoding/json"
)

// Reads that check the database rather than serve a user: the behaviour
// suite proves invariants with them, the benchmark and operators use them to
// see what a process left behind.

// QueueJob is a row of River's job table, as far as reckon looks at it.
type QueueJob struct {
	ID    int64
	Kind  string
	State string
	Args  json.RawMessage
}

// QueueJobs returns River's jobs of one kind, oldest first. River's table
// lives next to reckon's (same database, same schema) on both engines.
func (tx *Tx) QueueJobs(ctx context.Context, kind string) ([]QueueJob, error) {
	args := `args`
	if tx.engine == SQLite {
		args = `json(args)` // riversqlite stores SQLite's binary JSONB
	}
	r, err := tx.query(ctx, `SELECT id, kind, state, `+args+` FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (QueueJob, error) {
		var j QueueJob
		var args []byte
		err := r.Scan(&j.ID, &j.Kind, &j.State, scanJSON(&args))
		j.Args = args
		return j, err
	})
}

// CountRuns counts a workspace's runs, whatever their status.
func (tx *Tx) CountRuns(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM operation_runs WHERE workspace_id = $1`, workspaceID).Scan(&n)
	return n, err
}

// CountNotifications counts the notifications of a workspace.
func (tx *Tx) CountNotifications(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE workspace_id = $1`, workspaceID).Scan(&n)
	return n, err
}

// Index is an index of the database as the engine's catalog describes it.
type Index struct {
	Name  string
	Table string
	// Definition is the engine's CREATE INDEX text; empty for the indexes
	// SQLite creates itself for UNIQUE and PRIMARY KEY constraints.
	Definition string
}

// Indexes lists the indexes of reckon's schema (PostgreSQL: the current
// schema), by name.
func (tx *Tx) Indexes(ctx context.Context) ([]Index, error) {
	q := `SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`
	if tx.engine == SQLite {
		q = `SELECT name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name`
	}
	r, err := tx.query(ctx, q)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (Index, error) {
		var ix Index
		return ix, r.Scan(&ix.Name, &ix.Table, &ix.Definition)
	})
}
