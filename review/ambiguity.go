package review

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// ReasonAmbiguityResolved: an operator chose which of several current
// reviews of one evidence is the truth. The run that records the choice
// succeeds with the review kept (docs/design.md §12); the blocked run stays
// blocked, the record of what was found.
const ReasonAmbiguityResolved = "review.ambiguity_resolved"

// Ambiguous reports whether a run ended blocked because several current
// reviews carry its fingerprint (review.ambiguous).
func Ambiguous(run *reckon.Run) bool {
	rec := run.Context.Reconciliation
	return run.Status == reckon.RunCompleted && run.Outcome == reckon.OutcomeBlocked &&
		rec != nil && rec.ReasonCode == ReasonAmbiguous
}

// Competitors are the reviews an ambiguity is between: the current (ready
// or published) reviews of the run's own workspace and environment that
// carry its fingerprint, oldest first.
func Competitors(ctx context.Context, tx *store.Tx, run *reckon.Run) ([]*reckon.Review, error) {
	if run.Context.Fingerprint == "" {
		return nil, nil
	}
	candidates, err := tx.ReviewCandidates(ctx, run.Scope(), run.Context.Fingerprint, 0)
	if err != nil {
		return nil, fmt.Errorf("review: competitors of run %d: %w", run.ID, err)
	}
	return slices.DeleteFunc(candidates, func(v *reckon.Review) bool {
		return v.Fingerprint != run.Context.Fingerprint || !v.Status.Available()
	}), nil
}

// ResolveAmbiguityTx settles the reviews a blocked run found ambiguous
// through their lifecycle: the review keepID stays (and is published when
// publish is set and it is ready, archiving the environment's published
// review as publishing does); every other competitor leaves the current
// ones — a published one is archived, a ready one superseded by the kept
// review. Each change is audited with the actor. It returns the kept
// review as it is afterwards.
//
// The caller holds the environment's lock and has checked that the run is
// an ambiguity (Ambiguous). A keepID that is not a competitor is a
// CodeValidation error on keep_review_id.
func (s *Service) ResolveAmbiguityTx(ctx context.Context, tx *store.Tx, run *reckon.Run, keepID int64, publish bool, actor string) (*reckon.Review, error) {
	competitors, err := Competitors(ctx, tx, run)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(competitors, func(v *reckon.Review) bool { return v.ID == keepID }) {
		ids := make([]string, len(competitors))
		for i, v := range competitors {
			ids[i] = fmt.Sprintf("#%d", v.ID)
		}
		v := reckon.ValidationErrors{}
		if len(ids) == 0 {
			v.Add("keep_review_id", "review.resolve.no_competitors", "review", strconv.FormatInt(keepID, 10))
		} else {
			v.Add("keep_review_id", "review.resolve.not_competitor", "review", strconv.FormatInt(keepID, 10),
				"competitors", strings.Join(ids, ", "))
		}
		return nil, v.Err()
	}
	// Rows in id order, the same order every resolver locks them in.
	var keep *reckon.Review
	for _, c := range competitors {
		v, err := tx.LockReview(ctx, run.WorkspaceID, c.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case v.ID == keepID:
			keep = v
		case v.Status == reckon.ReviewPublished:
			if err := s.archiveTx(ctx, tx, v, actor); err != nil {
				return nil, err
			}
		default: // ready
			v.Status, v.SupersededByReviewID = reckon.ReviewSuperseded, keepID
			if err := s.saveWithAudit(ctx, tx, v, actor, "review.superseded"); err != nil {
				return nil, err
			}
		}
	}
	if publish && keep.Status == reckon.ReviewReady {
		if err := s.publishTx(ctx, tx, keep, actor); err != nil {
			return nil, err
		}
	}
	return keep, nil
}
