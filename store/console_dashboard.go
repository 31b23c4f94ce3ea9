package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
)

// RunAttention counts the runs of an environment that want an operator:
// completed blocked, completed failed, and active past their deadline.
type RunAttention struct {
	Blocked      int64
	Failed       int64
	PastDeadline int64
}

// Total is the number of runs that want attention.
func (a RunAttention) Total() int64 { return a.Blocked + a.Failed + a.PastDeadline }

// RunAttentionOf counts what needs attention among an environment's runs at
// now. It reads the environment's runs through their newest-first index.
func (tx *Tx) RunAttentionOf(ctx context.Context, scope reckon.Scope, now time.Time) (RunAttention, error) {
	var a RunAttention
	err := tx.queryRow(ctx, `SELECT
	COALESCE(SUM(CASE WHEN outcome = 'blocked' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN status IN ('queued', 'running') AND deadline_at < $3 THEN 1 ELSE 0 END), 0)
FROM operation_runs WHERE workspace_id = $1 AND environment_id = $2`, scope.WorkspaceID, scope.EnvironmentID, now).
		Scan(&a.Blocked, &a.Failed, &a.PastDeadline)
	return a, err
}

// ReviewOfRun returns the newest review of a workspace linked to a run;
// ErrNotFound when the run has none.
func (tx *Tx) ReviewOfRun(ctx context.Context, workspaceID, runID int64) (*reckon.Review, error) {
	return scanReviewList(tx.queryRow(ctx, `SELECT `+reviewListColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND operation_run_id = $2 ORDER BY id DESC LIMIT 1`, workspaceID, runID))
}

// ReviewsSupersededBy returns the reviews of a workspace that a review
// superseded, newest first.
func (tx *Tx) ReviewsSupersededBy(ctx context.Context, workspaceID, reviewID int64) ([]*reckon.Review, error) {
	r, err := tx.query(ctx, `SELECT `+reviewListColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND superseded_by_review_id = $2 ORDER BY id DESC`, workspaceID, reviewID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Review, error) { return scanReviewList(r) })
}

// ReviewGlance is what a list shows of a review's content: its score (nil
// when nothing counted or not composed) and how many controls fail.
type ReviewGlance struct {
	Score   *int
	Failing int
}

// ReviewGlances reads the score and failing count of reviews of a
// workspace from their content, without loading the content itself.
// Reviews without content are left out.
func (tx *Tx) ReviewGlances(ctx context.Context, workspaceID int64, ids []int64) (map[int64]ReviewGlance, error) {
	out := make(map[int64]ReviewGlance, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// The JSON functions differ by engine; the ids are a page, one
	// placeholder each.
	score, failing := `(content->>'score')::int`, `jsonb_array_length(content->'failing')`
	if tx.engine == SQLite {
		score, failing = `json_extract(content, '$.score')`, `json_array_length(content, '$.failing')`
	}
	args := []any{workspaceID}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	r, err := tx.query(ctx, `SELECT id, `+score+`, COALESCE(`+failing+`, 0) FROM environment_reviews
WHERE workspace_id = $1 AND content IS NOT NULL AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: review glances: %w", err)
	}
	type row struct {
		id int64
		g  ReviewGlance
	}
	rowsOf, err := collect(r, func(r rows) (row, error) {
		var (
			x     row
			score sql.NullInt64
		)
		err := r.Scan(&x.id, &score, &x.g.Failing)
		if score.Valid {
			s := int(score.Int64)
			x.g.Score = &s
		}
		return x, err
	})
	for _, x := range rowsOf {
		out[x.id] = x.g
	}
	return out, err
}
