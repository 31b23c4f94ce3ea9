package review

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Reason codes of compose runs. Each is a key with an EN and DE sentence in
// locale/catalog/*/review.json.
const (
	// docs/design.md §7.
	ReasonAvailable                = "review.available"
	ReasonAvailableSuperseded      = "review.available_superseded"
	ReasonComposeFailed            = "review.compose_failed"
	ReasonComposeStalled           = "review.compose_stalled"
	ReasonAmbiguous                = "review.ambiguous"
	ReasonSupersededWithoutCurrent = "review.superseded_without_current"
	ReasonNotProduced              = "review.not_produced"
	// The compose job's recoveries (docs/design.md §6).
	ReasonReusedExisting     = "review.reused_existing"
	ReasonDuplicateRecovered = "review.duplicate_recovered"
	ReasonTookOverStaleDraft = "review.took_over_stale_draft"
)

// AdapterName names the review adapter in reconciliation records.
const AdapterName = string(reckon.RunTypeReviewCompose)

// Resolve is the one review-truth resolver of docs/design.md §7, shared by the
// service, the compose job and the reconciliation adapter. It reads the
// reviews of the run's own workspace and environment that carry the run's
// fingerprint or are linked to the run, and decides. now judges the run's
// deadline. It only reads.
func Resolve(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	candidates, err := tx.ReviewCandidates(ctx, run.Scope(), run.Context.Fingerprint, run.ID)
	if err != nil {
		return reckon.Decision{}, fmt.Errorf("review: candidates of run %d: %w", run.ID, err)
	}
	return Decide(run, candidates, now), nil
}

// Decide applies the docs/design.md §7 table to candidate reviews, top to bottom: a review
// linked to the run decides before any same-fingerprint review does.
// Candidates of another workspace or environment are ignored, whatever
// their fingerprint. A run with ID 0 (a probe) has no linked review.
func Decide(run *reckon.Run, candidates []*reckon.Review, now time.Time) reckon.Decision {
	ev := reckon.Evidence{WorkspaceID: run.WorkspaceID, EnvironmentID: run.EnvironmentID,
		Fingerprint: run.Context.Fingerprint, ConsideredReviewIDs: []int64{}}
	var linked *reckon.Review
	var available, historical []*reckon.Review
	for _, c := range candidates {
		if c.WorkspaceID != run.WorkspaceID || c.EnvironmentID != run.EnvironmentID {
			continue
		}
		isLinked := run.ID != 0 && c.OperationRunID == run.ID
		if !isLinked && (run.Context.Fingerprint == "" || c.Fingerprint != run.Context.Fingerprint) {
			continue
		}
		ev.ConsideredReviewIDs = append(ev.ConsideredReviewIDs, c.ID)
		switch {
		case isLinked:
			// Normally one; should there be more, the newest decides.
			if linked == nil || c.ID > linked.ID {
				linked = c
			}
		case c.Status.Available():
			available = append(available, c)
		case c.Status.Historical():
			historical = append(historical, c)
		}
	}
	slices.Sort(ev.ConsideredReviewIDs)
	past := run.PastDeadline(now)
	decide := func(outcome reckon.Outcome, reason string, r *reckon.Review, needsDeadline bool) reckon.Decision {
		if r != nil {
			ev.ReviewID, ev.ReviewStatus = r.ID, r.Status
		}
		if needsDeadline {
			d := run.DeadlineAt
			ev.DeadlineAt = &d
		}
		return reckon.Decision{Outcome: outcome, ReasonCode: reason, Evidence: ev, NeedsDeadline: needsDeadline}
	}
	if linked != nil {
		switch {
		case linked.Status.Available():
			return decide(reckon.OutcomeSucceeded, ReasonAvailable, linked, false)
		case linked.Status.Historical():
			return decide(reckon.OutcomeSucceeded, ReasonAvailableSuperseded, linked, false)
		case linked.Status == reckon.ReviewFailed:
			return decide(reckon.OutcomeFailed, ReasonComposeFailed, linked, false)
		case past: // a draft past the deadline
			return decide(reckon.OutcomeFailed, ReasonComposeStalled, linked, true)
		default:
			return decide("", "", linked, false)
		}
	}
	switch {
	case len(available) == 1:
		return decide(reckon.OutcomeSucceeded, ReasonAvailable, available[0], false)
	case len(available) > 1:
		return decide(reckon.OutcomeBlocked, ReasonAmbiguous, nil, false)
	case len(historical) > 0 && past:
		return decide(reckon.OutcomeFailed, ReasonSupersededWithoutCurrent, nil, true)
	case len(historical) > 0:
		return decide("", "", nil, false)
	case past:
		return decide(reckon.OutcomeFailed, ReasonNotProduced, nil, true)
	}
	return decide("", "", nil, false)
}

// Adapter is the reconciliation adapter of compose runs: the resolver and
// nothing else, so that the reconciler and the job never disagree.
type Adapter struct{}

// Name identifies the adapter in reconciliation records.
func (Adapter) Name() string { return AdapterName }

// Reconcile decides a compose run's truth from reviews of its own scope.
func (Adapter) Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	return Resolve(ctx, tx, run, now)
}
