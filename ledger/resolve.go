package ledger

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// LinkResolution records that resolution, a new run, settles the ambiguity
// original was blocked on by keeping review reviewID: the links of a retry
// both ways (retry_of, retried_by), and one audit event on the original,
// run.resolved, with the actor, the note and the review kept. Like
// LinkRetry, the caller holds original's row lock and has checked that it
// is not yet retried; original keeps its outcome.
func (l *Ledger) LinkResolution(ctx context.Context, tx *store.Tx, original, resolution *reckon.Run, reviewID int64, actor, note string) error {
	return l.linkRetry(ctx, tx, original, resolution, actor, "run.resolved",
		actionMetadata{Note: note, RetriedBy: resolution.ID, ReviewID: reviewID})
}
