package store

import (
	"context"
	"fmt"
)

// countedTables are the tables RowCounts counts: every table of reckon's
// schema and River's jobs.
var countedTables = []string{
	"api_tokens", "audit_events", "console_sessions", "environment_entitlements", "environment_reviews",
	"evidence_snapshots", "login_throttle", "managed_environments", "notifications", "operation_runs",
	"restore_items", "restore_runs", "users", "workspace_memberships", "workspaces", "river_job",
}

// RowCounts counts the rows of every table, for tests that prove a request
// wrote nothing.
func (tx *Tx) RowCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(countedTables))
	for _, table := range countedTables {
		var n int64
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", table, err)
		}
		out[table] = n
	}
	return out, nil
}
