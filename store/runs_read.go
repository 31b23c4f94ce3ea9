package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
)

// RunFilter selects a newest-first page of runs. Pages are keyset pages on
// the run id, so that a page stays the same when newer runs arrive and a deep
// page costs what the first one does (the *_newest indexes).
type RunFilter struct {
	// WorkspaceID scopes the list; it is required unless AllWorkspaces is
	// set, so that a forgotten scope cannot list every tenant's runs.
	WorkspaceID   int64
	AllWorkspaces bool
	// Restricted limits the list to runs of Environments (a member's
	// entitlements); runs without an environment are then left out.
	Restricted   bool
	Environments []int64

	EnvironmentID  int64 // 0: any
	Type           reckon.RunType
	Status         reckon.RunStatus
	Outcome        reckon.Outcome
	ReconciledOnly bool
	// PastDeadline keeps only active runs whose deadline is before the
	// transaction's now.
	PastDeadline bool

	// BeforeID continues a list: only runs with a smaller id. 0 starts at
	// the newest.
	BeforeID int64
	Limit    int
}

// ListRuns returns one page of runs, newest first.
func (tx *Tx) ListRuns(ctx context.Context, f *RunFilter) ([]*reckon.Run, error) {
	q, args, err := tx.listRunsQuery(f)
	if err != nil || q == "" {
		return nil, err
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return collect(r, scanRuns)
}

// listRunsQuery builds the page query of a filter; "" when the filter can
// match nothing.
func (tx *Tx) listRunsQuery(f *RunFilter) (string, []any, error) {
	if f.WorkspaceID == 0 && !f.AllWorkspaces {
		return "", nil, errors.New("store: list runs: no workspace scope")
	}
	if f.Limit <= 0 {
		return "", nil, errors.New("store: list runs: no limit")
	}
	if f.Restricted && len(f.Environments) == 0 {
		return "", nil, nil
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.AllWorkspaces {
		where = append(where, "workspace_id = "+arg(f.WorkspaceID))
	}
	if f.Restricted {
		// Entitlement lists are short; one placeholder each keeps the text
		// the same on both engines (SQLite has no arrays).
		ph := make([]string, len(f.Environments))
		for i, id := range f.Environments {
			ph[i] = arg(id)
		}
		where = append(where, "environment_id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.EnvironmentID != 0 {
		where = append(where, "environment_id = "+arg(f.EnvironmentID))
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(string(f.Type)))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.Outcome != "" {
		where = append(where, "outcome = "+arg(string(f.Outcome)))
	}
	if f.ReconciledOnly {
		// The reconciliation record lives in the context document; the JSON
		// operators differ by engine. The compose job records its own
		// decisions in the same shape: those are not reconciliations.
		if tx.engine == Postgres {
			where = append(where, "context ? 'reconciliation' AND context->'reconciliation'->>'source' <> 'compose_job'")
		} else {
			where = append(where, "json_extract(context, '$.reconciliation') IS NOT NULL AND json_extract(context, '$.reconciliation.source') <> 'compose_job'")
		}
	}
	if f.PastDeadline {
		where = append(where, "status IN ('queued', 'running') AND deadline_at < "+arg(tx.Now()))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	q := `SELECT ` + runColumns + ` FROM operation_runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.Limit)
	return q, args, nil
}

// RunAttention counts the runs of an environment that want an operator:
// completed blocked, completed failed, completed partially succeeded (some
// items did not restore), and active past their deadline.
type RunAttention struct {
	Blocked      int64
	Failed       int64
	Partial      int64
	PastDeadline int64
}

// Total is the number of runs that want attention.
func (a RunAttention) Total() int64 { return a.Blocked + a.Failed + a.Partial + a.PastDeadline }

// RunAttentionOf counts what needs attention among an environment's runs at
// now. It reads the environment's runs through their newest-first index.
func (tx *Tx) RunAttentionOf(ctx context.Context, scope reckon.Scope, now time.Time) (RunAttention, error) {
	var a RunAttention
	err := tx.queryRow(ctx, `SELECT
	COALESCE(SUM(CASE WHEN outcome = 'blocked' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN outcome = 'partially_succeeded' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status IN ('queued', 'running') AND deadline_at < $3 THEN 1 ELSE 0 END), 0)
FROM operation_runs WHERE workspace_id = $1 AND environment_id = $2`, scope.WorkspaceID, scope.EnvironmentID, now).
		Scan(&a.Blocked, &a.Failed, &a.Partial, &a.PastDeadline)
	return a, err
}

// RunByID returns a run of any workspace, for platform support's read-only
// pages. Everything a workspace member sees goes through Run instead.
func (tx *Tx) RunByID(ctx context.Context, id int64) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs WHERE id = $1`, id))
}
