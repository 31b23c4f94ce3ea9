package store

import (
	"context"
	"fmt"
	"strings"
)

// RowCounts counts the rows of every table, for tests that prove a request
// wrote nothing.
//
// It counts every table of the schema, read from the engine's catalog so
// that a new table is counted without anyone remembering to, and River's
// jobs, but not River's bookkeeping (leader election, queues), which
// changes on its own.
func (tx *Tx) RowCounts(ctx context.Context) (map[string]int64, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if tx.engine == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	r, err := tx.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	all, err := collect(r, scanValue[string])
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	var countedTables []string
	for _, t := range all {
		if !strings.HasPrefix(t, "river_") || t == "river_job" {
			countedTables = append(countedTables, t)
		}
	}
	// One statement, so that a suite can count after every request.
	parts := make([]string, len(countedTables))
	for i, table := range countedTables {
		parts[i] = "(SELECT COUNT(*) FROM " + table + ")"
	}
	n := make([]int64, len(countedTables))
	dest := make([]any, len(n))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := tx.queryRow(ctx, "SELECT "+strings.Join(parts, ", ")).Scan(dest...); err != nil {
		return nil, fmt.Errorf("store: count rows: %w", err)
	}
	out := make(map[string]int64, len(countedTables))
	for i, table := range countedTables {
		out[table] = n[i]
	}
	return out, nil
}
