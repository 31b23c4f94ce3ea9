package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

const reviewListColumns = `id, workspace_id, environment_id, evidence_snapshot_id, fingerprint, status,
	operation_run_id, superseded_by_review_id, composed_at, published_at, archived_at, created_by, created_at, updated_at`

// reviewColumns adds the content, which list reads leave out.
const reviewColumns = reviewListColumns + `, content`

func scanReviewList(r scanner) (*reckon.Review, error) {
	var v reckon.Review
	err := r.Scan(&v.ID, &v.WorkspaceID, &v.EnvironmentID, &v.EvidenceSnapshotID, &v.Fingerprint, &v.Status,
		scanNullID(&v.OperationRunID), scanNullID(&v.SupersededByReviewID), scanNullTime(&v.ComposedAt),
		scanNullTime(&v.PublishedAt), scanNullTime(&v.ArchivedAt), scanNullID(&v.CreatedBy),
		scanTime(&v.CreatedAt), scanTime(&v.UpdatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	return &v, nil
}

func scanReview(r scanner) (*reckon.Review, error) {
	var (
		v       reckon.Review
		content []byte
	)
	err := r.Scan(&v.ID, &v.WorkspaceID, &v.EnvironmentID, &v.EvidenceSnapshotID, &v.Fingerprint, &v.Status,
		scanNullID(&v.OperationRunID), scanNullID(&v.SupersededByReviewID), scanNullTime(&v.ComposedAt),
		scanNullTime(&v.PublishedAt), scanNullTime(&v.ArchivedAt), scanNullID(&v.CreatedBy),
		scanTime(&v.CreatedAt), scanTime(&v.UpdatedAt), scanJSON(&content))
	if err != nil {
		return nil, interpret(err)
	}
	if len(content) > 0 && string(content) != "null" {
		v.Content = content
	}
	return &v, nil
}

func scanReviews(r rows) (*reckon.Review, error) { return scanReview(r) }

// DraftReviewInsert is a new draft review linked to the run composing it.
type DraftReviewInsert struct {
	Scope              reckon.Scope
	EvidenceSnapshotID int64
	Fingerprint        string
	OperationRunID     int64
	CreatedBy          int64
}

// InsertDraftReview inserts a draft review. It returns ErrConflict when the
// scope already holds a mutable (draft, ready or failed) review with the
// fingerprint; the caller reads that row with MutableReviewByFingerprint.
func (tx *Tx) InsertDraftReview(ctx context.Context, p *DraftReviewInsert) (*reckon.Review, error) {
	// DO NOTHING rather than a failing insert: on PostgreSQL a unique
	// violation would abort the transaction the recovery must read in.
	v, err := scanReview(tx.queryRow(ctx, `
INSERT INTO environment_reviews (workspace_id, environment_id, evidence_snapshot_id, fingerprint, status,
	operation_run_id, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $7)
ON CONFLICT (workspace_id, environment_id, fingerprint) WHERE status IN ('draft', 'ready', 'failed') DO NOTHING
RETURNING `+reviewColumns,
		p.Scope.WorkspaceID, p.Scope.EnvironmentID, p.EvidenceSnapshotID, p.Fingerprint,
		nullable(p.OperationRunID), nullable(p.CreatedBy), tx.now))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: insert review: %w", err)
	}
	return v, nil
}

// MutableReviewByFingerprint returns the draft, ready or failed review of a
// scope with a fingerprint — the row the uniqueness index allows one of.
func (tx *Tx) MutableReviewByFingerprint(ctx context.Context, scope reckon.Scope, fingerprint string) (*reckon.Review, error) {
	return scanReview(tx.queryRow(ctx, `SELECT `+reviewColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND environment_id = $2 AND fingerprint = $3 AND status IN ('draft', 'ready', 'failed')`,
		scope.WorkspaceID, scope.EnvironmentID, fingerprint))
}

// ReviewCandidates returns the reviews that can prove a compose run's truth:
// those of the run's own workspace and environment that carry its
// fingerprint or are linked to it, oldest first. runID 0 links none.
func (tx *Tx) ReviewCandidates(ctx context.Context, scope reckon.Scope, fingerprint string, runID int64) ([]*reckon.Review, error) {
	r, err := tx.query(ctx, `SELECT `+reviewListColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND environment_id = $2 AND (fingerprint = $3 OR operation_run_id = $4)
ORDER BY id`, scope.WorkspaceID, scope.EnvironmentID, fingerprint, runID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Review, error) { return scanReviewList(r) })
}

// Review returns a review of a workspace with its content.
func (tx *Tx) Review(ctx context.Context, workspaceID, id int64) (*reckon.Review, error) {
	return scanReview(tx.queryRow(ctx, `SELECT `+reviewColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
}

// LockReview returns a review of a workspace with its content and locks its
// row until the transaction ends (SQLite transactions hold the write lock).
func (tx *Tx) LockReview(ctx context.Context, workspaceID, id int64) (*reckon.Review, error) {
	q := `SELECT ` + reviewColumns + ` FROM environment_reviews WHERE workspace_id = $1 AND id = $2`
	if tx.engine == Postgres {
		// NO KEY UPDATE: serialises writers of the row without blocking
		// inserts whose foreign keys point at it.
		q += ` FOR NO KEY UPDATE`
	}
	return scanReview(tx.queryRow(ctx, q, workspaceID, id))
}

// UpdateReview writes a review's lifecycle fields and content, with the
// score and failing count read from the content.
func (tx *Tx) UpdateReview(ctx context.Context, v *reckon.Review) error {
	v.UpdatedAt = tx.now
	score, failing, err := headline(v.Content)
	if err != nil {
		return err
	}
	n, err := tx.exec(ctx, `UPDATE environment_reviews SET status = $3, content = $4, operation_run_id = $5,
	superseded_by_review_id = $6, composed_at = $7, published_at = $8, archived_at = $9, updated_at = $10,
	score = $11, failing_count = $12
WHERE workspace_id = $1 AND id = $2`,
		v.WorkspaceID, v.ID, string(v.Status), jsonArg(v.Content), nullable(v.OperationRunID),
		nullable(v.SupersededByReviewID), v.ComposedAt, v.PublishedAt, v.ArchivedAt, v.UpdatedAt, score, failing)
	if err != nil {
		return fmt.Errorf("store: update review %d: %w", v.ID, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ReviewOrder places a review among its environment's reviews: by the
// snapshot's captured time, then the snapshot id, then the review id.
// Newest evidence wins by this order.
type ReviewOrder struct {
	CapturedAt time.Time
	SnapshotID int64
	ReviewID   int64
}

// reviewOrderJoin joins each review to its snapshot; olderThan and newerThan
// compare that order with $3 (captured_at), $4 (snapshot id), $5 (review id).
const (
	reviewOrderJoin = ` FROM environment_reviews r JOIN evidence_snapshots s ON s.id = r.evidence_snapshot_id
WHERE r.workspace_id = $1 AND r.environment_id = $2 AND r.id <> $5`
	olderThan = ` AND (s.captured_at < $3 OR (s.captured_at = $3 AND (s.id < $4 OR (s.id = $4 AND r.id < $5))))`
	newerThan = ` AND (s.captured_at > $3 OR (s.captured_at = $3 AND (s.id > $4 OR (s.id = $4 AND r.id > $5))))`
)

// NewerCurrentReview returns the newest ready or published review of the
// environment that comes after o; ErrNotFound when there is none.
func (tx *Tx) NewerCurrentReview(ctx context.Context, scope reckon.Scope, o ReviewOrder) (*reckon.Review, error) {
	return scanReview(tx.queryRow(ctx, `SELECT `+prefixed("r.", reviewColumns)+reviewOrderJoin+newerThan+`
AND r.status IN ('ready', 'published') ORDER BY s.captured_at DESC, s.id DESC, r.id DESC LIMIT 1`,
		scope.WorkspaceID, scope.EnvironmentID, o.CapturedAt, o.SnapshotID, o.ReviewID))
}

// SupersedeOlderReviews marks every ready or failed review of the
// environment that comes before o as superseded by o's review, and returns
// their ids.
func (tx *Tx) SupersedeOlderReviews(ctx context.Context, scope reckon.Scope, o ReviewOrder) ([]int64, error) {
	r, err := tx.query(ctx, `UPDATE environment_reviews SET status = 'superseded', superseded_by_review_id = $5, updated_at = $6
WHERE id IN (SELECT r.id`+reviewOrderJoin+olderThan+` AND r.status IN ('ready', 'failed'))
RETURNING id`, scope.WorkspaceID, scope.EnvironmentID, o.CapturedAt, o.SnapshotID, o.ReviewID, tx.now)
	if err != nil {
		return nil, fmt.Errorf("store: supersede reviews: %w", err)
	}
	return collect(r, scanValue[int64])
}

// BaselineSnapshotID returns the snapshot of the environment's newest
// composed review (ready, published, archived or superseded) built from a
// snapshot captured before the given one; ErrNotFound when there is none.
func (tx *Tx) BaselineSnapshotID(ctx context.Context, scope reckon.Scope, capturedAt time.Time, snapshotID int64) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT s.id FROM environment_reviews r JOIN evidence_snapshots s ON s.id = r.evidence_snapshot_id
WHERE r.workspace_id = $1 AND r.environment_id = $2 AND r.composed_at IS NOT NULL
	AND r.status IN ('ready', 'published', 'archived', 'superseded')
	AND (s.captured_at < $3 OR (s.captured_at = $3 AND s.id < $4))
ORDER BY s.captured_at DESC, s.id DESC LIMIT 1`, scope.WorkspaceID, scope.EnvironmentID, capturedAt, snapshotID).Scan(&id)
	return id, err
}

// PublishedReviews returns the published reviews of an environment.
func (tx *Tx) PublishedReviews(ctx context.Context, scope reckon.Scope) ([]*reckon.Review, error) {
	r, err := tx.query(ctx, `SELECT `+reviewColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND environment_id = $2 AND status = 'published' ORDER BY id`, scope.WorkspaceID, scope.EnvironmentID)
	if err != nil {
		return nil, err
	}
	return collect(r, scanReviews)
}

// ReviewFilter narrows a list of reviews.
type ReviewFilter struct {
	EnvironmentID int64 // 0 for every environment
	// Environments, when not empty, limits the list to these environments
	// (a member's entitlements).
	Environments []int64
	Status       reckon.ReviewStatus // "" for every status
	Limit        int
	Cursor       int64 // list ids below it; 0 for the first page
}

// Reviews returns a workspace's reviews without content, newest first.
func (tx *Tx) Reviews(ctx context.Context, workspaceID int64, f ReviewFilter) ([]*reckon.Review, error) {
	q := `SELECT ` + reviewListColumns + ` FROM environment_reviews WHERE workspace_id = $1`
	args := []any{workspaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(cond, len(args))
	}
	if f.EnvironmentID != 0 {
		add(` AND environment_id = $%d`, f.EnvironmentID)
	}
	if len(f.Environments) > 0 {
		// Entitlement lists are short: one placeholder each keeps one text
		// for both engines (SQLite has no arrays).
		q += ` AND environment_id IN (` + idList(&args, f.Environments) + `)`
	}
	if f.Status != "" {
		add(` AND status = $%d`, string(f.Status))
	}
	if f.Cursor > 0 {
		add(` AND id < $%d`, f.Cursor)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, f.Limit)
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Review, error) { return scanReviewList(r) })
}

// LatestReview returns an environment's newest review with its content.
func (tx *Tx) LatestReview(ctx context.Context, scope reckon.Scope) (*reckon.Review, error) {
	return scanReview(tx.queryRow(ctx, `SELECT `+reviewColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND environment_id = $2 ORDER BY id DESC LIMIT 1`, scope.WorkspaceID, scope.EnvironmentID))
}

// prefixed qualifies every column of a column list with a table alias.
func prefixed(alias, columns string) string {
	out := []byte(alias)
	for i := 0; i < len(columns); i++ {
		out = append(out, columns[i])
		if columns[i] == ',' {
			for i+1 < len(columns) && (columns[i+1] == ' ' || columns[i+1] == '\n' || columns[i+1] == '\t') {
				i++
				out = append(out, columns[i])
			}
			out = append(out, alias...)
		}
	}
	return string(out)
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
// workspace, kept beside their content, without loading the content
// itself. Reviews without content are left out.
func (tx *Tx) ReviewGlances(ctx context.Context, workspaceID int64, ids []int64) (map[int64]ReviewGlance, error) {
	out := make(map[int64]ReviewGlance, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// The ids are a page, one placeholder each.
	args := []any{workspaceID}
	r, err := tx.query(ctx, `SELECT id, score, COALESCE(failing_count, 0) FROM environment_reviews
WHERE workspace_id = $1 AND content IS NOT NULL AND id IN (`+idList(&args, ids)+`)`, args...)
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
