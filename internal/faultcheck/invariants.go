package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The invariant checker: read-only SQL over the fault test's database, run
// after the load has stopped, the reconciler has had its time and the nodes
// are down. Each check names the rows that break it.

// maxListed bounds the offending rows a violation lists.
const maxListed = 10

// check runs every invariant in one read-only transaction. imported maps
// each snapshot whose import answered 201 to its environment.
func check(ctx context.Context, conn *pgx.Conn, imported map[int64]int64) ([]violation, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)

	var out []violation
	add := func(invariant string, rows []string) {
		if len(rows) == 0 {
			return
		}
		detail := strings.Join(rows[:min(len(rows), maxListed)], "; ")
		if len(rows) > maxListed {
			detail += fmt.Sprintf("; … %d in all", len(rows))
		}
		out = append(out, violation{Invariant: invariant, Detail: detail})
	}
	for _, c := range sqlChecks {
		rows, err := listRows(ctx, tx, c.query)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		add(c.name, rows)
	}
	lost, err := lostEvidence(ctx, tx, imported)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	add("no evidence lost", lost)
	return out, nil
}

// sqlChecks are the invariants that need only the database. Each query
// returns one text column describing an offending row; no row means the
// invariant holds.
var sqlChecks = []struct{ name, query string }{
	{"nothing active past its deadline", `
SELECT format('run %s %s %s, deadline %s', id, type, status, deadline_at)
FROM operation_runs
WHERE status IN ('queued', 'running') AND deadline_at < now()
ORDER BY id`},

	{"exactly one run.completed audit event per completed run", `
SELECT format('run %s %s has %s', r.id, r.status, count(a.id))
FROM operation_runs r
LEFT JOIN audit_events a ON a.action = 'run.completed' AND a.subject_type = 'operation_run' AND a.subject_id = r.id
GROUP BY r.id, r.status
HAVING (r.status = 'completed') <> (count(a.id) = 1)
ORDER BY r.id`},

	{"run.completed audit events name existing runs", `
SELECT format('audit event %s for run %s', a.id, a.subject_id)
FROM audit_events a
WHERE a.action = 'run.completed' AND a.subject_type = 'operation_run'
  AND NOT EXISTS (SELECT 1 FROM operation_runs r WHERE r.id = a.subject_id)
ORDER BY a.id`},

	// Proof is a composed review of the same workspace and environment,
	// linked to the run or carrying its fingerprint.
	{"every succeeded compose run proven by a composed same-scope review", `
SELECT format('run %s (environment %s, %s)', r.id, r.environment_id, r.context->>'fingerprint')
FROM operation_runs r
WHERE r.type = 'environment.review.compose' AND r.outcome = 'succeeded'
  AND NOT EXISTS (
    SELECT 1 FROM environment_reviews v
    WHERE v.workspace_id = r.workspace_id AND v.environment_id = r.environment_id
      AND v.status IN ('ready', 'published', 'superseded', 'archived')
      AND (v.operation_run_id = r.id OR v.fingerprint = r.context->>'fingerprint'))
ORDER BY r.id`},

	{"at most one mutable review per (workspace, environment, fingerprint)", `
SELECT format('environment %s %s: reviews %s', environment_id, fingerprint, string_agg(id::text, ',' ORDER BY id))
FROM environment_reviews
WHERE status IN ('draft', 'ready', 'failed')
GROUP BY workspace_id, environment_id, fingerprint
HAVING count(*) > 1`},

	// The newest snapshot is the one compose takes (captured_at, then id).
	{"every environment reaches an up-to-date review", `
SELECT format('environment %s: newest snapshot %s has no ready or published review', e.id, s.id)
FROM managed_environments e
JOIN LATERAL (
  SELECT id FROM evidence_snapshots
  WHERE workspace_id = e.workspace_id AND environment_id = e.id
  ORDER BY captured_at DESC, id DESC LIMIT 1) s ON true
WHERE NOT EXISTS (
  SELECT 1 FROM environment_reviews v
  WHERE v.workspace_id = e.workspace_id AND v.environment_id = e.id
    AND v.evidence_snapshot_id = s.id AND v.status IN ('ready', 'published'))
ORDER BY e.id`},
}

func listRows(ctx context.Context, tx pgx.Tx, query string) ([]string, error) {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// lostEvidence lists the snapshots that answered 201 but are missing, or
// stored under another environment.
func lostEvidence(ctx context.Context, tx pgx.Tx, imported map[int64]int64) ([]string, error) {
	ids := make([]int64, 0, len(imported))
	for id := range imported {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows, err := tx.Query(ctx, `SELECT id, environment_id FROM evidence_snapshots WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	stored := map[int64]int64{}
	var id, env int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &env}, func() error { stored[id] = env; return nil }); err != nil {
		return nil, err
	}
	var lost []string
	for _, id := range ids {
		got, ok := stored[id]
		switch {
		case !ok:
			lost = append(lost, fmt.Sprintf("snapshot %d missing", id))
		case got != imported[id]:
			lost = append(lost, fmt.Sprintf("snapshot %d in environment %d, imported into %d", id, got, imported[id]))
		}
	}
	return lost, nil
}

// runStats counts the runs by state and the failed ones by reason, and
// returns the ids of the failed runs whose reason says a node died.
func runStats(ctx context.Context, conn *pgx.Conn) (byState, failedBy map[string]int, died []int64, err error) {
	byState, failedBy = map[string]int{}, map[string]int{}
	rows, err := conn.Query(ctx, `
SELECT id, status || '/' || outcome, COALESCE(failure->>'reason_code', '')
FROM operation_runs ORDER BY id`)
	if err != nil {
		return nil, nil, nil, err
	}
	var id int64
	var state, reason string
	_, err = pgx.ForEachRow(rows, []any{&id, &state, &reason}, func() error {
		byState[state]++
		if state == "completed/failed" {
			failedBy[reason]++
			if slices.Contains(nodeDiedReasons, reason) {
				died = append(died, id)
			}
		}
		return nil
	})
	return byState, failedBy, died, err
}
