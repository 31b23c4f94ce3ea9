package store

import (
	"context"
	"fmt"
	"strings"
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
