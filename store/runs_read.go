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
	NotType        reckon.RunType // leaves a type out; "": none
	Status         reckon.RunStatus
	Outcome        reckon.Outcome
	ReconciledOnly bool
	// PastDeadline keeps only active runs whose deadline is before the
	// transaction's now.
	PastDeadline bool
	// Query matches a run id, a review id or fingerprint (of the review a
	// run composed, or the fingerprint it composes) or a backup reference;
	// "" matches every run.
	Query string
	// Since and Until bound the creation time: Since <= created_at < Until;
	// zero leaves that end open.
	Since, Until time.Time
	// Unresolved keeps failed and blocked runs that nobody has dealt with
	// (the attention counts' runs).
	Unresolved bool

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
	if f.Limit <= 0 {
		return "", nil, errors.New("store: list runs: no limit")
	}
	where, args, err := tx.runWhere(f)
	if err != nil || where == "" {
		return "", nil, err
	}
	args = append(args, f.Limit)
	return `SELECT ` + runColumns + ` FROM operation_runs r` + where + ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args)), args, nil
}

// CountMatchingRuns counts the runs a filter matches, every page of them,
// but stops at upTo when that is positive: a count costs a walk over what it
// counts, and a list needs "more than so many", not the exact size of a
// history of millions.
func (tx *Tx) CountMatchingRuns(ctx context.Context, f *RunFilter, upTo int64) (int64, error) {
	where, args, err := tx.runWhere(f)
	if err != nil || where == "" {
		return 0, err
	}
	q := `SELECT COUNT(*) FROM operation_runs r` + where
	if upTo > 0 {
		args = append(args, upTo)
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM operation_runs r` + where + ` LIMIT $` + strconv.Itoa(len(args)) + `) c`
	}
	var n int64
	err = tx.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// RunTypes returns the types of the runs in a filter's scope — its
// workspace or every workspace, within a member's entitlements — in order;
// the filter's other fields are ignored. A run list offers them as its type
// choices beside the catalog's, so that the runs of a service's own types
// (docs/adapters.md) can be filtered too. It costs an index probe per
// workspace and type, each finding the next type after the last one, not a
// walk over the history.
func (tx *Tx) RunTypes(ctx context.Context, scope *RunFilter) ([]reckon.RunType, error) {
	q, args := tx.runTypesQuery(scope)
	if q == "" {
		return nil, nil
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: run types: %w", err)
	}
	return collect(r, scanValue[reckon.RunType])
}

// runTypesQuery is RunTypes' statement; "" when the scope holds no runs.
func (tx *Tx) runTypesQuery(scope *RunFilter) (string, []any) {
	if scope.Restricted && len(scope.Environments) == 0 {
		return "", nil
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	workspaces := ""
	if !scope.AllWorkspaces {
		workspaces = " WHERE w.id = " + arg(scope.WorkspaceID)
	}
	entitled := ""
	if scope.Restricted {
		ph := make([]string, len(scope.Environments))
		for i, id := range scope.Environments {
			ph[i] = arg(id)
		}
		entitled = " AND r.environment_id IN (" + strings.Join(ph, ", ") + ")"
	}
	first := `(SELECT MIN(r.type) FROM operation_runs r WHERE r.workspace_id = w.id` + entitled + `)`
	next := `(SELECT MIN(r.type) FROM operation_runs r WHERE r.workspace_id = s.workspace_id AND r.type > s.type` + entitled + `)`
	return `WITH RECURSIVE seen (workspace_id, type) AS (
	SELECT w.id, ` + first + ` FROM workspaces w` + workspaces + `
	UNION ALL
	SELECT s.workspace_id, ` + next + ` FROM seen s WHERE s.type IS NOT NULL
)
SELECT DISTINCT type FROM seen WHERE type IS NOT NULL ORDER BY type`, args
}

// runWhere builds the WHERE clause of a filter over operation_runs r; ""
// when the filter can match nothing.
func (tx *Tx) runWhere(f *RunFilter) (string, []any, error) {
	if f.WorkspaceID == 0 && !f.AllWorkspaces {
		return "", nil, errors.New("store: list runs: no workspace scope")
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
	if f.NotType != "" {
		where = append(where, "type <> "+arg(string(f.NotType)))
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
	if f.Query != "" {
		where = append(where, tx.runQueryMatch(f, arg))
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(f.Since.UTC()))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+arg(f.Until.UTC()))
	}
	if f.Unresolved {
		where = append(where, "outcome IN ('failed', 'blocked') AND "+unresolvedRun)
	}
	if f.PastDeadline {
		where = append(where, "status IN ('queued', 'running') AND deadline_at < "+arg(tx.Now()))
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	if len(where) == 0 {
		return " WHERE 1 = 1", args, nil
	}
	return ` WHERE ` + strings.Join(where, " AND "), args, nil
}

// runQueryMatch is the condition of a q= search. A number is a run id or a
// review id, each found by primary key; text is a fingerprint, found
// through the reviews' fingerprint index or the run's own context, or a
// backup reference. The context reads scan only the workspace's runs.
func (tx *Tx) runQueryMatch(f *RunFilter, arg func(any) string) string {
	fp, ref := "context->>'fingerprint'", "context->>'backup_ref'"
	if tx.engine == SQLite {
		fp, ref = "json_extract(context, '$.fingerprint')", "json_extract(context, '$.backup_ref')"
	}
	q := arg(f.Query)
	reviews := "SELECT v.operation_run_id FROM environment_reviews v WHERE v.fingerprint = " + q
	if !f.AllWorkspaces {
		reviews += " AND v.workspace_id = r.workspace_id"
	}
	match := []string{fp + " = " + q, ref + " = " + q, "id IN (" + reviews + ")"}
	if n, err := strconv.ParseInt(f.Query, 10, 64); err == nil && n > 0 {
		id := arg(n)
		match = append(match, "id = "+id, "id IN (SELECT v.operation_run_id FROM environment_reviews v WHERE v.id = "+id+")")
	}
	return "(" + strings.Join(match, " OR ") + ")"
}

// RunAttention counts the runs of an environment that want an operator:
// completed blocked and completed failed ones that are unresolved (neither
// acknowledged nor followed by a succeeded run of their type), completed
// partially succeeded ones (some items did not restore), and active ones
// past their deadline.
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
	err := tx.queryRow(ctx, `SELECT `+runAttentionSums("$3")+`
FROM operation_runs r WHERE workspace_id = $1 AND environment_id = $2`, scope.WorkspaceID, scope.EnvironmentID, now).
		Scan(&a.Blocked, &a.Failed, &a.Partial, &a.PastDeadline)
	return a, err
}

// RunByID returns a run of any workspace, for platform support's read-only
// pages. Everything a workspace member sees goes through Run instead.
func (tx *Tx) RunByID(ctx context.Context, id int64) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs WHERE id = $1`, id))
}
