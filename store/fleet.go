package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
)

// The fleet: every environment of a workspace at a glance, read in a fixed
// number of statements whatever the number of environments. What a fleet
// sorts and filters by is kept on each environment's row (migration 8), so
// that placing every environment reads one row each (FleetPlaces); the
// environments of one page are then read in full (FleetEnvironments), and
// the attention counts are one grouped read of the runs that can want
// attention.

// FleetScope is the environments a fleet read covers: every environment of
// the workspace, or when Restricted only Environments (a member's
// entitlements).
type FleetScope struct {
	WorkspaceID  int64
	Restricted   bool
	Environments []int64
}

// FleetEnvironment is one environment at a glance.
type FleetEnvironment struct {
	Environment *reckon.Environment
	// Evidence is the newest snapshot (LatestSnapshot's), nil for none.
	Evidence *FleetEvidence
	// Review is the latest review (LatestReview's, the highest id), nil
	// for none.
	Review *FleetReview
}

// FleetEvidence is a snapshot at a glance.
type FleetEvidence struct {
	ID         int64
	CapturedAt time.Time
}

// FleetReview is a review at a glance: its score and failing controls are
// nil until it is composed (the score also when nothing carried weight).
type FleetReview struct {
	ID                 int64
	Status             reckon.ReviewStatus
	EvidenceSnapshotID int64
	ComposedAt         *time.Time
	Score              *int
	Failing            *int
}

// Stale reports whether the environment holds evidence newer than its
// latest review's: its newest snapshot is another one (what StaleReviews
// asks of a review).
func (e *FleetEnvironment) Stale() bool {
	return e.Review != nil && e.Evidence != nil && e.Evidence.ID != e.Review.EvidenceSnapshotID
}

// fleetWhere is the condition of a scope on a table's workspace and
// environment columns; false when the scope can see nothing.
func fleetWhere(s FleetScope, workspaceColumn, environmentColumn string, args *[]any) (string, bool) {
	*args = append(*args, s.WorkspaceID)
	where := workspaceColumn + " = $" + strconv.Itoa(len(*args))
	if !s.Restricted {
		return where, true
	}
	if len(s.Environments) == 0 {
		return "", false
	}
	// Entitlement lists are short.
	return where + " AND " + environmentColumn + " IN (" + idList(args, s.Environments) + ")", true
}

// reviewHeadline reads a composed review's score and failing count from a
// content column; the JSON functions differ by engine. Both are NULL
// without content. Reads use the columns the migration filled with it
// (score, failing_count), which UpdateReview keeps.
func reviewHeadline(engine Engine, content string) (score, failing string) {
	if engine == Postgres {
		return `(` + content + `->>'score')::int`, `jsonb_array_length(` + content + `->'failing')`
	}
	return `json_extract(` + content + `, '$.score')`, `json_array_length(` + content + `, '$.failing')`
}

// headline is what reviewHeadline reads, from a review's content.
func headline(content []byte) (score, failing *int, err error) {
	if len(content) == 0 || string(content) == "null" {
		return nil, nil, nil
	}
	var h struct {
		Score   *int              `json:"score"`
		Failing []json.RawMessage `json:"failing"`
	}
	if err := json.Unmarshal(content, &h); err != nil {
		return nil, nil, fmt.Errorf("store: review content: %w", err)
	}
	n := len(h.Failing)
	return h.Score, &n, nil
}

// FleetPlace is what a fleet sorts and filters an environment by, read
// for every environment of a scope: the headline its row keeps.
type FleetPlace struct {
	ID   int64
	Name string
	// Reviewed: the environment has a review. Stale: its latest review was
	// built from other evidence than its newest (FleetEnvironment.Stale).
	Reviewed, Stale bool
	// Score and Failing are the latest review's, nil until it is composed.
	Score, Failing *int
	// CapturedAt is the newest evidence's capture time, read only when
	// asked for; nil without evidence.
	CapturedAt *time.Time
}

// fleetPlacesQuery is the statement of FleetPlaces.
func (tx *Tx) fleetPlacesQuery(s FleetScope, capturedAt bool) (string, []any) {
	var args []any
	where, ok := fleetWhere(s, "e.workspace_id", "e.id", &args)
	if !ok {
		return "", nil
	}
	columns := `e.id, e.name, CASE WHEN e.latest_review_id IS NULL THEN 0
	WHEN e.newest_snapshot_id <> e.latest_review_snapshot_id THEN 2 ELSE 1 END,
	e.latest_review_score, e.latest_review_failing`
	if capturedAt {
		columns += `, e.newest_captured_at`
	}
	return `SELECT ` + columns + ` FROM managed_environments e WHERE ` + where + ` ORDER BY e.id`, args
}

// FleetPlaces reads the headline of every environment of the scope, in one
// statement, ordered by id; capturedAt adds the newest evidence's
// capture time.
func (tx *Tx) FleetPlaces(ctx context.Context, s FleetScope, capturedAt bool) ([]FleetPlace, error) {
	q, args := tx.fleetPlacesQuery(s, capturedAt)
	if q == "" {
		return nil, nil
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: fleet places: %w", err)
	}
	return collect(r, func(r rows) (FleetPlace, error) {
		var (
			p              FleetPlace
			state          int
			score, failing *int64
		)
		dest := []any{&p.ID, &p.Name, &state, &score, &failing}
		if capturedAt {
			dest = append(dest, scanNullTime(&p.CapturedAt))
		}
		if err := r.Scan(dest...); err != nil {
			return p, err
		}
		p.Reviewed, p.Stale = state > 0, state == 2
		p.Score, p.Failing = intPtr(score), intPtr(failing)
		return p, nil
	})
}

// fleetQuery is the statement of FleetEnvironments.
func (tx *Tx) fleetQuery(s FleetScope, page []int64) (string, []any) {
	var args []any
	where, ok := fleetWhere(s, "e.workspace_id", "e.id", &args)
	if !ok || (page != nil && len(page) == 0) {
		return "", nil
	}
	if page != nil {
		where += " AND e.id IN (" + idList(&args, page) + ")"
	}
	// The latest review is found by its id, which the environment's row
	// keeps; on SQLite through the index that holds what the fleet shows
	// of a review, so that the row itself, whose later columns lie past
	// its content, is not read.
	review := `environment_reviews v`
	if tx.engine == SQLite {
		review += ` INDEXED BY environment_reviews_headline`
	}
	return `SELECT e.id, e.workspace_id, e.slug, e.name, e.tenant_id, e.created_at,
	e.newest_snapshot_id, e.newest_captured_at,
	v.id, v.status, v.evidence_snapshot_id, v.composed_at, v.score, v.failing_count
FROM managed_environments e
LEFT JOIN ` + review + ` ON v.workspace_id = e.workspace_id AND v.environment_id = e.id AND v.id = e.latest_review_id
WHERE ` + where + `
ORDER BY e.id`, args
}

// joinFirst joins, as alias, the first row of a table of an environment's
// rows in the order given (its columns and order on alias f): one index
// search per environment. PostgreSQL takes it as a lateral subquery, which
// its planner runs per environment (a join on the id a subquery finds, as
// below, it would answer by hashing the whole table). SQLite has no
// LATERAL: it joins on the id a correlated subquery finds — its joins are
// nested loops, so that is one search per environment too.
func (tx *Tx) joinFirst(alias, table, columns, order string) string {
	first := ` FROM ` + table + ` f WHERE f.workspace_id = e.workspace_id AND f.environment_id = e.id ORDER BY ` + order + ` LIMIT 1`
	if tx.engine == Postgres {
		return `LEFT JOIN LATERAL (SELECT ` + columns + first + `) ` + alias + ` ON TRUE`
	}
	return `LEFT JOIN ` + table + ` ` + alias + ` ON ` + alias + `.id = (SELECT f.id` + first + `)`
}

// FleetEnvironments reads environments of the scope at a glance, in one
// statement, ordered by id: those of page, or every one when page is nil.
func (tx *Tx) FleetEnvironments(ctx context.Context, s FleetScope, page []int64) ([]*FleetEnvironment, error) {
	q, args := tx.fleetQuery(s, page)
	if q == "" {
		return nil, nil
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: fleet: %w", err)
	}
	return collect(r, func(r rows) (*FleetEnvironment, error) {
		var (
			e                          reckon.Environment
			snapID, reviewID, reviewOf int64
			capturedAt, composedAt     *time.Time
			status                     *string
			score, failing             *int64
			f                          FleetEnvironment
		)
		err := r.Scan(&e.ID, &e.WorkspaceID, &e.Slug, &e.Name, scanNullString(&e.TenantID), scanTime(&e.CreatedAt),
			scanNullID(&snapID), scanNullTime(&capturedAt),
			scanNullID(&reviewID), &status, scanNullID(&reviewOf), scanNullTime(&composedAt), &score, &failing)
		if err != nil {
			return nil, err
		}
		f.Environment = &e
		if snapID != 0 && capturedAt != nil {
			f.Evidence = &FleetEvidence{ID: snapID, CapturedAt: *capturedAt}
		}
		if reviewID != 0 && status != nil {
			f.Review = &FleetReview{ID: reviewID, Status: reckon.ReviewStatus(*status), EvidenceSnapshotID: reviewOf,
				ComposedAt: composedAt, Score: intPtr(score), Failing: intPtr(failing)}
		}
		return &f, nil
	})
}

func intPtr(n *int64) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

// runAttentionSums are RunAttention's counts over operation_runs r, with
// now as the placeholder given: RunAttentionOf and FleetAttention count
// with the same text.
func runAttentionSums(now string) string {
	return `COALESCE(SUM(CASE WHEN outcome = 'blocked' AND ` + unresolvedRun + ` THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN outcome = 'failed' AND ` + unresolvedRun + ` THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN outcome = 'partially_succeeded' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status IN ('queued', 'running') AND deadline_at < ` + now + ` THEN 1 ELSE 0 END), 0)`
}

// fleetAttentionQuery is the statement of FleetAttention.
func (tx *Tx) fleetAttentionQuery(s FleetScope, now time.Time) (string, []any) {
	var args []any
	where, ok := fleetWhere(s, "r.workspace_id", "r.environment_id", &args)
	if !ok {
		return "", nil
	}
	args = append(args, now)
	at := "$" + strconv.Itoa(len(args))
	// Only completed runs with one of these outcomes and active runs past
	// their deadline can count; each half reads its own partial index
	// (operation_runs_attention, and the active identity index, which leads
	// with the workspace), so the read grows with what wants attention, not
	// with the history. The halves are disjoint (completed, active): their
	// sums add up to RunAttentionOf's over every run.
	sums := runAttentionSums(at)
	return `SELECT r.environment_id, ` + sums + ` FROM operation_runs r
WHERE ` + where + ` AND r.outcome IN ('blocked', 'failed', 'partially_succeeded')
GROUP BY r.environment_id
UNION ALL
SELECT r.environment_id, ` + sums + ` FROM operation_runs r
WHERE ` + where + ` AND r.status IN ('queued', 'running') AND r.deadline_at < ` + at + `
GROUP BY r.environment_id`, args
}

// FleetAttention counts what needs attention among the runs of every
// environment of the scope at now (RunAttentionOf's counts), in one
// statement. Environments with nothing to count are absent.
func (tx *Tx) FleetAttention(ctx context.Context, s FleetScope, now time.Time) (map[int64]RunAttention, error) {
	q, args := tx.fleetAttentionQuery(s, now)
	out := map[int64]RunAttention{}
	if q == "" {
		return out, nil
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: fleet attention: %w", err)
	}
	parts, err := collect(r, func(r rows) (struct {
		env int64
		a   RunAttention
	}, error) {
		var p struct {
			env int64
			a   RunAttention
		}
		err := r.Scan(scanNullID(&p.env), &p.a.Blocked, &p.a.Failed, &p.a.Partial, &p.a.PastDeadline)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if p.env == 0 {
			continue // runs of the workspace, not of an environment
		}
		a := out[p.env]
		a.Blocked += p.a.Blocked
		a.Failed += p.a.Failed
		a.Partial += p.a.Partial
		a.PastDeadline += p.a.PastDeadline
		out[p.env] = a
	}
	return out, nil
}

// ScorePoint is one composed review's score, for a trend.
type ScorePoint struct {
	ReviewID   int64
	ComposedAt time.Time
	Score      int
}

// scoreTrendsQuery is the statement of ScoreTrends.
func (tx *Tx) scoreTrendsQuery(workspaceID int64, environmentIDs []int64, points int) (string, []any) {
	args := []any{workspaceID, points}
	envs := idList(&args, environmentIDs)
	// The window numbers each environment's scored reviews newest first,
	// along the environment_newest index.
	return `SELECT environment_id, id, composed_at, score FROM (
	SELECT r.environment_id, r.id, r.composed_at, r.score,
		ROW_NUMBER() OVER (PARTITION BY r.environment_id ORDER BY r.id DESC) AS n
	FROM environment_reviews r WHERE r.workspace_id = $1 AND r.environment_id IN (` + envs + `)
		AND r.score IS NOT NULL) k
WHERE n <= $2
ORDER BY environment_id, id`, args
}

// ScoreTrends returns the scores of the newest scored reviews (up to points
// of them) of each of the environments, oldest first, in one statement.
// Reviews without a score (not composed, or nothing carried weight) are
// left out.
func (tx *Tx) ScoreTrends(ctx context.Context, workspaceID int64, environmentIDs []int64, points int) (map[int64][]ScorePoint, error) {
	out := map[int64][]ScorePoint{}
	if len(environmentIDs) == 0 || points <= 0 {
		return out, nil
	}
	q, args := tx.scoreTrendsQuery(workspaceID, environmentIDs, points)
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: score trends: %w", err)
	}
	type row struct {
		env int64
		p   ScorePoint
	}
	list, err := collect(r, func(r rows) (row, error) {
		var x row
		err := r.Scan(&x.env, &x.p.ReviewID, scanTime(&x.p.ComposedAt), &x.p.Score)
		return x, err
	})
	for _, x := range list {
		out[x.env] = append(out[x.env], x.p)
	}
	return out, err
}

// lastRunsQuery is the statement of LastRuns.
func (tx *Tx) lastRunsQuery(workspaceID int64, environmentIDs []int64) (string, []any) {
	args := []any{workspaceID}
	envs := idList(&args, environmentIDs)
	return `SELECT ` + prefixed("o.", runColumns) + ` FROM managed_environments e
` + strings.Replace(tx.joinFirst("o", "operation_runs", prefixed("f.", runColumns), "f.id DESC"), "LEFT JOIN", "JOIN", 1) + `
WHERE e.workspace_id = $1 AND e.id IN (` + envs + `)`, args
}

// LastRuns returns the newest run of each of a workspace's environments,
// by environment, in one statement; environments without a run are
// absent.
func (tx *Tx) LastRuns(ctx context.Context, workspaceID int64, environmentIDs []int64) (map[int64]*reckon.Run, error) {
	out := map[int64]*reckon.Run{}
	if len(environmentIDs) == 0 {
		return out, nil
	}
	q, args := tx.lastRunsQuery(workspaceID, environmentIDs)
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: last runs: %w", err)
	}
	runs, err := collect(r, scanRuns)
	for _, run := range runs {
		out[run.EnvironmentID] = run
	}
	return out, err
}
