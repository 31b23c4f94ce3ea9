package operator

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// ResolveParams describe how an operator settles an ambiguity.
type ResolveParams struct {
	// KeepReviewID is the review that is the truth; it must be one of the
	// run's competitors (review.Competitors).
	KeepReviewID int64
	// Publish publishes the kept review when it is ready.
	Publish bool
	Note    string
}

// Resolve settles a run blocked by an ambiguity (review.ambiguous: several
// current reviews of its evidence) in one transaction. The reviews go
// through their lifecycle (review.Service.ResolveAmbiguityTx); then a new
// compose run of the same evidence, linked to the blocked run as its retry
// (retry_of, retried_by), is judged by the reconciler — which now finds one
// current review, the kept one — and completes succeeded with reason
// review.ambiguity_resolved, its evidence naming the kept review and the
// actor. The blocked run keeps its outcome (a completed run never changes
// it) and gets one audit event, run.resolved, with the actor and the note.
//
// Outcome.Run is the blocked run, Retry the run that records the
// resolution, Review the kept review. Resolving again keeping the same
// review answers the first resolution with Changed false. Errors:
// CodeNotFound for a run of another workspace; CodeInvalidTransition when
// the run is not an ambiguity, or was resolved keeping another review, or
// was retried already; CodeValidation when the review kept is not one of
// the competitors, or the note is not allowed.
func (s *Service) Resolve(ctx context.Context, workspaceID, runID int64, by Actor, p ResolveParams) (*Outcome, error) {
	return s.act(ctx, workspaceID, runID, by, p.Note, func(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
		return s.resolve(ctx, tx, workspaceID, runID, by, p)
	})
}

func (s *Service) resolve(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, p ResolveParams) (*Outcome, error) {
	run, err := tx.Run(ctx, workspaceID, runID)
	if store.IsNotFound(err) {
		return nil, access.NotFound("operation")
	}
	if err != nil {
		return nil, err
	}
	if !review.Ambiguous(run) {
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, "operator.not_ambiguous")
	}
	// The environment first, then the run, then the reviews: the order in
	// which composing, publishing and the compose job take them.
	if err := tx.LockEnvironment(ctx, run.Scope()); err != nil {
		return nil, err
	}
	if run, err = lockRun(ctx, tx, workspaceID, runID); err != nil {
		return nil, err
	}
	if run.Context.RetriedBy != 0 {
		return s.resolvedAlready(ctx, tx, run, p.KeepReviewID)
	}
	actor := by.String()
	keep, err := s.reviews.ResolveAmbiguityTx(ctx, tx, run, p.KeepReviewID, p.Publish, actor)
	if err != nil {
		return nil, err
	}
	// The run that records the resolution: the blocked run's inputs, an
	// identity of its own so that it never meets a compose of them.
	in := reckon.RunContext{Fingerprint: run.Context.Fingerprint, EvidenceSnapshotID: run.Context.EvidenceSnapshotID,
		BaselineSnapshotID: run.Context.BaselineSnapshotID}
	resolution, _, err := s.ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: run.Scope(), Type: run.Type,
		Key: fmt.Sprintf("resolution-of:%d", run.ID), Context: in, InitiatorUserID: by.UserID})
	if err != nil {
		return nil, err
	}
	if err := s.ledger.LinkResolution(ctx, tx, run, resolution, keep.ID, actor, p.Note); err != nil {
		return nil, err
	}
	rec, err := s.reconciler.Judge(ctx, tx, resolution)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.Decision != reckon.OutcomeSucceeded || rec.Evidence.ReviewID != keep.ID {
		return nil, fmt.Errorf("operator: run %d: after the resolution the reconciler does not prove review %d: %+v", run.ID, keep.ID, rec)
	}
	rec.Source, rec.ReasonCode = reckon.SourceOperator, review.ReasonAmbiguityResolved
	rec.Evidence.RunIDs, rec.Evidence.ResolvedBy = []int64{run.ID}, actor
	c := ledger.ReconciliationCompletion(*rec, actor)
	c.Note = p.Note
	if resolution, _, err = s.ledger.Complete(ctx, tx, resolution.ID, c); err != nil {
		return nil, err
	}
	// Nothing is left for a worker to do: the run's job goes with it.
	if resolution.JobID != 0 {
		if err := s.queue.CancelTx(ctx, tx, resolution.JobID); err != nil {
			return nil, err
		}
	}
	return &Outcome{Run: run, Changed: true, Retry: resolution, Review: keep}, nil
}

// resolvedAlready answers a resolve of a run that has a retry: the same
// resolution again is answered as it stands; anything else is refused.
func (s *Service) resolvedAlready(ctx context.Context, tx *store.Tx, run *reckon.Run, keepID int64) (*Outcome, error) {
	retry, err := tx.Run(ctx, run.WorkspaceID, run.Context.RetriedBy)
	if err != nil {
		return nil, err
	}
	kept := ResolutionOf(retry)
	switch {
	case kept == 0:
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, "operator.already_retried", "run", fmt.Sprintf("#%d", retry.ID))
	case kept != keepID:
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, "operator.already_resolved", "review", fmt.Sprintf("#%d", kept))
	}
	v, err := tx.Review(ctx, run.WorkspaceID, kept)
	if err != nil {
		return nil, err
	}
	return &Outcome{Run: run, Retry: retry, Review: v}, nil
}

// ResolutionOf is the review an ambiguity's resolution kept, when run is
// the run that records one; 0 otherwise.
func ResolutionOf(run *reckon.Run) int64 {
	if run == nil || run.Context.Reconciliation == nil || run.Context.Reconciliation.ReasonCode != review.ReasonAmbiguityResolved {
		return 0
	}
	return run.Context.Reconciliation.Evidence.ReviewID
}
