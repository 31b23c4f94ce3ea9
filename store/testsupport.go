package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Queries for tests and benchmarks only, kept here so that no production
// path depends on them: the behaviour suite proves invariants with them, the
// benchmark sees what a process left behind and where queries walk.

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
		err := r.Scan(&ix.Name, &ix.Table, &ix.Definition)
		return ix, err
	})
}

var schemaPrefix = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// ScratchSchema creates a fresh, empty PostgreSQL schema named after prefix
// on the server of baseURL, for work that must not touch the data already
// there (benchmarks, tests). It returns a URL that selects the schema through
// search_path — reckon's and River's tables are created in it — and a
// function that drops the schema with everything in it.
func ScratchSchema(ctx context.Context, baseURL, prefix string) (schemaURL string, drop func(context.Context) error, err error) {
	if engine, _, err := ParseURL(baseURL); err != nil {
		return "", nil, err
	} else if engine != Postgres {
		return "", nil, fmt.Errorf("database URL %s is not a PostgreSQL URL", Redact(baseURL))
	}
	if !schemaPrefix.MatchString(prefix) {
		return "", nil, fmt.Errorf("store: schema prefix %q is not a plain lower-case name", prefix)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	// The name is built from a checked prefix and hex digits only, so it is
	// safe to splice into DDL, which takes no parameters.
	schema := prefix + "_" + hex.EncodeToString(b)

	exec := func(ctx context.Context, stmt string) error {
		conn, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			return fmt.Errorf("database %s is unreachable: %s", Redact(baseURL), safeConnError(err))
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("store: %s: %w", stmt, err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop = func(ctx context.Context) error { return exec(ctx, "DROP SCHEMA "+schema+" CASCADE") }

	u, err := url.Parse(baseURL)
	if err != nil {
		_ = drop(ctx)
		return "", nil, fmt.Errorf("database URL %s is not valid: %w", Redact(baseURL), unwrapParse(err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// ExplainListRuns returns the engine's plan of ListRuns, for tests and
// benchmarks that check a page walks the newest-first index.
func (tx *Tx) ExplainListRuns(ctx context.Context, f *RunFilter) (string, error) {
	q, args, err := tx.listRunsQuery(f)
	if err != nil || q == "" {
		return "", err
	}
	return tx.explain(ctx, q, args...)
}

// ExplainRunTypes returns the engine's plan of RunTypes, for the test that
// checks it probes the type index instead of walking the history.
func (tx *Tx) ExplainRunTypes(ctx context.Context, scope *RunFilter) (string, error) {
	q, args := tx.runTypesQuery(scope)
	return tx.explain(ctx, q, args...)
}

// MigrateTo brings the schema up to version target only, for tests of
// what a later migration does to the rows an earlier schema holds.
func (db *DB) MigrateTo(ctx context.Context, target int) (int, error) {
	return db.migrateTo(ctx, target)
}

// AnalyzeFleet refreshes the planner's statistics of the tables the fleet
// reads after a bulk load (SQLite analyzes one table per statement).
func (tx *Tx) AnalyzeFleet(ctx context.Context) error {
	for _, table := range []string{"managed_environments", "evidence_snapshots", "environment_reviews", "operation_runs"} {
		if _, err := tx.exec(ctx, `ANALYZE `+table); err != nil {
			return err
		}
	}
	return nil
}

// SettleFleet brings the fleet's tables to the state a database in use is
// in after a bulk load: PostgreSQL's VACUUM marks the pages all-visible (as
// autovacuum does in time), so that index-only scans need not visit the
// table, and ANALYZE refreshes the statistics. VACUUM runs outside any
// transaction.
func (db *DB) SettleFleet(ctx context.Context) error {
	if db.engine == Postgres {
		_, err := db.pool.Exec(ctx, `VACUUM ANALYZE managed_environments, evidence_snapshots, environment_reviews, operation_runs`)
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error { return tx.AnalyzeFleet(ctx) })
}

// ExplainFleet returns the engine's plans of the fleet's statements, by
// name (places, environments, attention, trends, last runs), for the tests that
// check each walks indexes; pageOf are the environments of a page.
func (tx *Tx) ExplainFleet(ctx context.Context, s FleetScope, now time.Time, pageOf []int64) (map[string]string, error) {
	plans := map[string]string{}
	for name, q := range map[string]func() (string, []any){
		"places":       func() (string, []any) { return tx.fleetPlacesQuery(s, true) },
		"environments": func() (string, []any) { return tx.fleetQuery(s, pageOf) },
		"attention":    func() (string, []any) { return tx.fleetAttentionQuery(s, now) },
		"trends":       func() (string, []any) { return tx.scoreTrendsQuery(s.WorkspaceID, pageOf, 12) },
		"last runs":    func() (string, []any) { return tx.lastRunsQuery(s.WorkspaceID, pageOf) },
	} {
		text, args := q()
		plan, err := tx.explain(ctx, text, args...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		plans[name] = plan
	}
	return plans, nil
}

// explain returns the engine's plan of a query: PostgreSQL's EXPLAIN lines,
// or the details of SQLite's EXPLAIN QUERY PLAN.
func (tx *Tx) explain(ctx context.Context, q string, args ...any) (string, error) {
	prefix := `EXPLAIN `
	if tx.engine == SQLite {
		prefix = `EXPLAIN QUERY PLAN `
	}
	r, err := tx.query(ctx, prefix+q, args...)
	if err != nil {
		return "", fmt.Errorf("store: explain: %w", err)
	}
	lines, err := collect(r, func(r rows) (string, error) {
		if tx.engine == SQLite {
			// id, parent, notused, detail
			var id, parent, unused int
			var detail string
			err := r.Scan(&id, &parent, &unused, &detail)
			return detail, err
		}
		var line string
		err := r.Scan(&line)
		return line, err
	})
	return strings.Join(lines, "\n"), err
}
