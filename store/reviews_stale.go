package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

// StaleReviews answers which of the given reviews of a workspace are
// stale: their environment holds a snapshot newer than the review's
// evidence, in the order LatestSnapshot reads (captured_at, then import
// order). The ids are a page, one placeholder each.
func (tx *Tx) StaleReviews(ctx context.Context, workspaceID int64, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{workspaceID}
	r, err := tx.query(ctx, `SELECT r.id FROM environment_reviews r
JOIN evidence_snapshots s ON s.id = r.evidence_snapshot_id
WHERE r.workspace_id = $1 AND r.id IN (`+idList(&args, ids)+`) AND EXISTS (
	SELECT 1 FROM evidence_snapshots n
	WHERE n.workspace_id = r.workspace_id AND n.environment_id = r.environment_id
		AND (n.captured_at > s.captured_at OR (n.captured_at = s.captured_at AND n.id > s.id)))`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stale reviews: %w", err)
	}
	stale, err := collect(r, scanValue[int64])
	for _, id := range stale {
		out[id] = true
	}
	return out, err
}

// EarlierReview returns the newest review of an environment created before
// the given one, whatever its status; ErrNotFound for the first.
func (tx *Tx) EarlierReview(ctx context.Context, workspaceID, environmentID, reviewID int64) (*reckon.Review, error) {
	return scanReview(tx.queryRow(ctx, `SELECT `+reviewColumns+` FROM environment_reviews
WHERE workspace_id = $1 AND environment_id = $2 AND id < $3 ORDER BY id DESC LIMIT 1`, workspaceID, environmentID, reviewID))
}
