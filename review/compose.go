package review

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// Result is what a create or refresh did.
type Result string

// Compose results (docs/design.md §6).
const (
	// ResultQueued: a compose run was created; the review follows.
	ResultQueued Result = "queued"
	// ResultAlreadyRunning: a run composing these inputs is active.
	ResultAlreadyRunning Result = "already_running"
	// ResultUpToDate: a ready or published review of these inputs exists.
	ResultUpToDate Result = "up_to_date"
)

// ComposeResult answers a create or refresh: the result, and the run
// (queued, already_running) or the review (up_to_date) it refers to.
type ComposeResult struct {
	Result Result
	Run    *reckon.Run
	Review *reckon.Review
}

// Message is the result's sentence for people.
func (r *ComposeResult) Message() reckon.Message {
	return reckon.Msg("review.result." + string(r.Result))
}

// plan is what a compose run of an environment's newest evidence composes.
type plan struct {
	snapshot *reckon.Snapshot
	baseline int64
	fp       string
}

// planFor computes the fingerprint of a review of snap: the baseline is the
// snapshot of the environment's newest composed review from older evidence.
func planFor(ctx context.Context, tx *store.Tx, snap *reckon.Snapshot) (*plan, error) {
	scope := reckon.Scope{WorkspaceID: snap.WorkspaceID, EnvironmentID: snap.EnvironmentID}
	baseline, err := tx.BaselineSnapshotID(ctx, scope, snap.CapturedAt, snap.ID)
	if err != nil && !store.IsNotFound(err) {
		return nil, err
	}
	fp := Fingerprint(FingerprintInputs{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID,
		SnapshotID: snap.ID, SnapshotContentHash: snap.ContentHash, ComposerVersion: ComposerVersion,
		Options: Options{BaselineSnapshotID: baseline}})
	return &plan{snapshot: snap, baseline: baseline, fp: fp}, nil
}

// Compose creates (or finds) the review of an environment's newest evidence
// (docs/design.md §6): up_to_date with the review when a ready or published one
// of the same fingerprint exists; already_running with the run when a
// compose run of it is active; else a new queued run and its job. Repeated
// and concurrent calls never multiply runs or reviews. Without a snapshot it
// returns a CodeNoEvidence error, or CodeNotFound when the scope names no
// environment of the workspace.
func (s *Service) Compose(ctx context.Context, scope reckon.Scope, initiatorUserID int64) (res *ComposeResult, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		// The environment's row lock orders this call against the compose
		// job's final transaction, which takes it before completing a run:
		// otherwise a run that completes between the reads below and the
		// insert would leave no active run to find, and a second run of the
		// same inputs would start.
		if err := tx.LockEnvironment(ctx, scope); err != nil {
			return scoped(err, "review.error.environment_not_found")
		}
		res, err = s.compose(ctx, tx, scope, initiatorUserID)
		return err
	})
	return res, err
}

// Refresh composes the review of the newest evidence of the environment
// that a review belongs to; the answer is Compose's.
func (s *Service) Refresh(ctx context.Context, workspaceID, reviewID, initiatorUserID int64) (res *ComposeResult, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err := tx.Review(ctx, workspaceID, reviewID)
		if err != nil {
			return scoped(err, "review.error.not_found")
		}
		scope := reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID}
		if err := tx.LockEnvironment(ctx, scope); err != nil { // as in Compose
			return err
		}
		res, err = s.compose(ctx, tx, scope, initiatorUserID)
		return err
	})
	return res, err
}

func (s *Service) compose(ctx context.Context, tx *store.Tx, scope reckon.Scope, initiatorUserID int64) (*ComposeResult, error) {
	d, err := s.decide(ctx, tx, scope, initiatorUserID)
	if err != nil {
		return nil, err
	}
	if err := s.ensure(ctx, tx, []*decision{d}); err != nil {
		return nil, err
	}
	return d.result, nil
}

// decision is what composing an environment's newest evidence comes to
// before any run is made: the result when no run is needed, else the run
// to ensure.
type decision struct {
	result *ComposeResult
	run    *ledger.EnsureParams
}

// decide makes a compose's decisions for one environment (docs/design.md
// §6), the environment's row locked by the caller: up to date, already
// running, or a run to ensure. Without a snapshot it returns a
// CodeNoEvidence error.
func (s *Service) decide(ctx context.Context, tx *store.Tx, scope reckon.Scope, initiatorUserID int64) (*decision, error) {
	snap, err := tx.LatestSnapshot(ctx, scope)
	if store.IsNotFound(err) {
		return nil, reckon.Errorf(reckon.CodeNoEvidence, "review.error.no_evidence")
	}
	if err != nil {
		return nil, err
	}
	p, err := planFor(ctx, tx, snap)
	if err != nil {
		return nil, err
	}
	// 1. A ready or published review of this fingerprint.
	if res, err := upToDate(ctx, tx, scope, p.fp); res != nil || err != nil {
		return &decision{result: res}, err
	}
	// 2. An active run of this identity.
	identity := ledger.Identity(reckon.RunTypeReviewCompose, scope, p.fp)
	run, err := tx.ActiveRunByIdentity(ctx, scope.WorkspaceID, reckon.RunTypeReviewCompose, identity)
	if err == nil {
		return &decision{result: &ComposeResult{Result: ResultAlreadyRunning, Run: run}}, nil
	}
	if !store.IsNotFound(err) {
		return nil, err
	}
	// 1 again: a run that completed between the two reads committed its
	// review with it, and each statement of a PostgreSQL transaction sees
	// what was committed before it began. Without this second look such a
	// caller would start a needless run.
	if res, err := upToDate(ctx, tx, scope, p.fp); res != nil || err != nil {
		return &decision{result: res}, err
	}
	// 3. A new run; a concurrent caller may win the insert.
	return &decision{run: &ledger.EnsureParams{
		Scope: scope, Type: reckon.RunTypeReviewCompose, Key: p.fp, InitiatorUserID: initiatorUserID,
		Context: reckon.RunContext{Fingerprint: p.fp, EvidenceSnapshotID: p.snapshot.ID, BaselineSnapshotID: p.baseline},
	}}, nil
}

// ensure creates the runs that decisions ask for, all in one call of the
// ledger (one statement for the runs, one for their jobs): queued, or
// already_running for a trigger a concurrent caller beat to the insert.
func (s *Service) ensure(ctx context.Context, tx *store.Tx, ds []*decision) error {
	var (
		params []*ledger.EnsureParams
		asked  []*decision
	)
	for _, d := range ds {
		if d.run != nil {
			params, asked = append(params, d.run), append(asked, d)
		}
	}
	if len(params) == 0 {
		return nil
	}
	runs, created, err := s.ledger.EnsureMany(ctx, tx, params)
	if err != nil {
		return err
	}
	for i, d := range asked {
		d.result = &ComposeResult{Result: ResultAlreadyRunning, Run: runs[i]}
		if created[i] {
			d.result.Result = ResultQueued
		}
	}
	return nil
}

// upToDate asks the resolver about a run that does not exist yet: the
// ready or published review of the fingerprint it finds is up to date. It
// returns nil when there is none.
func upToDate(ctx context.Context, tx *store.Tx, scope reckon.Scope, fp string) (*ComposeResult, error) {
	probe := &reckon.Run{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID,
		Type: reckon.RunTypeReviewCompose, Context: reckon.RunContext{Fingerprint: fp}}
	candidates, err := tx.ReviewCandidates(ctx, scope, fp, 0)
	if err != nil {
		return nil, err
	}
	d := Decide(probe, candidates, tx.Now())
	if d.Outcome != reckon.OutcomeSucceeded && d.Outcome != reckon.OutcomeBlocked {
		return nil, nil
	}
	// Blocked means several such reviews: the newest is up to date.
	var current *reckon.Review
	for _, c := range candidates {
		if c.Fingerprint == fp && c.Status.Available() && (current == nil || c.ID > current.ID) {
			current = c
		}
	}
	return &ComposeResult{Result: ResultUpToDate, Review: current}, nil
}
