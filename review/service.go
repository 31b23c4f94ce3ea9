// Package review is reckon's first domain on the run ledger: environment
// reviews composed from evidence snapshots (DESIGN.md §6, §7).
//
// It ingests snapshots (DecodeSnapshot, Service.ImportSnapshot), fingerprints
// the inputs of a review (Fingerprint), composes content deterministically
// (Compose), creates and refreshes reviews without ever multiplying runs or
// reviews (Service.Compose, Service.Refresh), runs the compose job with every
// recovery path (Worker), keeps the lifecycle (Service.Publish,
// Service.Archive), and proves a compose run's truth with one resolver
// (Resolve) shared by the service, the job and the reconciliation Adapter.
package review

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// Service is the review domain's API, shared by the JSON API, the console,
// the CLI and the compose job.
type Service struct {
	db      *store.DB
	ledger  *ledger.Ledger
	catalog *catalog.Catalog
	clock   reckon.Clock
}

// Deps are a Service's dependencies.
type Deps struct {
	DB      *store.DB
	Ledger  *ledger.Ledger
	Catalog *catalog.Catalog
	// Clock times work outside transactions (waits and their bounds);
	// transactions use the database's clock. DB.Now when nil.
	Clock reckon.Clock
}

// NewService returns a review service.
func NewService(d Deps) *Service {
	if d.DB == nil || d.Ledger == nil || d.Catalog == nil {
		panic("review: NewService needs a database, a ledger and a catalog")
	}
	clock := d.Clock
	if clock == nil {
		clock = d.DB.Now
	}
	return &Service{db: d.DB, ledger: d.Ledger, catalog: d.Catalog, clock: clock}
}

// Errors the service returns are *reckon.Error with these codes:
// CodeNotFound (environment, review or snapshot absent from the workspace),
// CodeValidation and CodeTooLarge (bad snapshot or filter), CodeConflict
// (an external id reused for other content), CodeTenantMismatch,
// CodeNoEvidence, CodeInvalidTransition. Anything else is internal.

func notFound(key string) error { return reckon.Errorf(reckon.CodeNotFound, key) }

// scoped maps a store not-found to a coded not-found.
func scoped(err error, key string) error {
	if store.IsNotFound(err) {
		return notFound(key)
	}
	return err
}

// Result is what a create or refresh did.
type Result string

// Compose results (DESIGN.md §6).
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
// (DESIGN.md §6): up_to_date with the review when a ready or published one
// of the same fingerprint exists; already_running with the run when a
// compose run of it is active; else a new queued run and its job. Repeated
// and concurrent calls never multiply runs or reviews. Without a snapshot it
// returns a CodeNoEvidence error, or CodeNotFound when the scope names no
// environment of the workspace. The scope is taken as given — callers have
// loaded the environment through their grant — so the environment is read
// only on that miss.
func (s *Service) Compose(ctx context.Context, scope reckon.Scope, initiatorUserID int64) (res *ComposeResult, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
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
		res, err = s.compose(ctx, tx, reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID}, initiatorUserID)
		return err
	})
	return res, err
}

func (s *Service) compose(ctx context.Context, tx *store.Tx, scope reckon.Scope, initiatorUserID int64) (*ComposeResult, error) {
	snap, err := tx.LatestSnapshot(ctx, scope)
	if store.IsNotFound(err) {
		// Only now is the environment read, to tell a scope that names no
		// environment from one without evidence.
		if _, err := tx.Environment(ctx, scope.WorkspaceID, scope.EnvironmentID); err != nil {
			return nil, scoped(err, "review.error.environment_not_found")
		}
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
		return res, err
	}
	// 2. An active run of this identity.
	identity := ledger.Identity(reckon.RunTypeReviewCompose, scope, p.fp)
	run, err := tx.ActiveRunByIdentity(ctx, scope.WorkspaceID, reckon.RunTypeReviewCompose, identity)
	if err == nil {
		return &ComposeResult{Result: ResultAlreadyRunning, Run: run}, nil
	}
	if !store.IsNotFound(err) {
		return nil, err
	}
	// 1 again: a run that completed between the two reads committed its
	// review with it, and each statement of a PostgreSQL transaction sees
	// what was committed before it began. Without this second look such a
	// caller would start a needless run.
	if res, err := upToDate(ctx, tx, scope, p.fp); res != nil || err != nil {
		return res, err
	}
	// 3. A new run; a concurrent caller may win the insert.
	run, created, err := s.ledger.Ensure(ctx, tx, &ledger.EnsureParams{
		Scope: scope, Type: reckon.RunTypeReviewCompose, Key: p.fp, InitiatorUserID: initiatorUserID,
		Context: reckon.RunContext{Fingerprint: p.fp, EvidenceSnapshotID: p.snapshot.ID, BaselineSnapshotID: p.baseline},
	})
	if err != nil {
		return nil, err
	}
	if !created {
		return &ComposeResult{Result: ResultAlreadyRunning, Run: run}, nil
	}
	return &ComposeResult{Result: ResultQueued, Run: run}, nil
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

// Publish publishes a ready review and archives the environment's
// previously published one. From any other status it returns a
// CodeInvalidTransition error.
func (s *Service) Publish(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error) {
	return s.transition(ctx, workspaceID, reviewID, userID, reckon.ReviewPublished)
}

// Archive archives a published review. From any other status it returns a
// CodeInvalidTransition error.
func (s *Service) Archive(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error) {
	return s.transition(ctx, workspaceID, reviewID, userID, reckon.ReviewArchived)
}

func (s *Service) transition(ctx context.Context, workspaceID, reviewID, userID int64, to reckon.ReviewStatus) (v *reckon.Review, err error) {
	actor := "system"
	if userID != 0 {
		actor = fmt.Sprintf("user:%d", userID)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.Review(ctx, workspaceID, reviewID)
		if err != nil {
			return scoped(err, "review.error.not_found")
		}
		scope := reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID}
		// One publisher per environment at a time, so that two reviews are
		// never published together.
		if err := tx.LockEnvironment(ctx, scope); err != nil {
			return err
		}
		if v, err = tx.LockReview(ctx, workspaceID, reviewID); err != nil {
			return err
		}
		if !v.Status.CanTransition(to) {
			return reckon.Errorf(reckon.CodeInvalidTransition, "review.error.invalid_transition",
				"from", reckon.Msg("review.status."+string(v.Status)), "to", reckon.Msg("review.status."+string(to)))
		}
		now := tx.Now()
		if to == reckon.ReviewPublished {
			published, err := tx.PublishedReviews(ctx, scope)
			if err != nil {
				return err
			}
			for _, p := range published {
				p.Status, p.ArchivedAt = reckon.ReviewArchived, &now
				if err := s.saveWithAudit(ctx, tx, p, actor, "review.archived"); err != nil {
					return err
				}
			}
			v.PublishedAt = &now
		} else {
			v.ArchivedAt = &now
		}
		v.Status = to
		return s.saveWithAudit(ctx, tx, v, actor, "review."+string(to))
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// reviewAudit is what the audit trail records of a review's change.
type reviewAudit struct {
	Status        reckon.ReviewStatus `json:"status"`
	EnvironmentID int64               `json:"environment_id"`
	RunID         int64               `json:"run_id,omitempty"`
	PreviousRunID int64               `json:"previous_run_id,omitempty"`
	SupersededBy  int64               `json:"superseded_by_review_id,omitempty"`
}

func (s *Service) saveWithAudit(ctx context.Context, tx *store.Tx, v *reckon.Review, actor, action string) error {
	if err := tx.UpdateReview(ctx, v); err != nil {
		return err
	}
	return audit(ctx, tx, v, actor, action, reviewAudit{})
}

func audit(ctx context.Context, tx *store.Tx, v *reckon.Review, actor, action string, meta reviewAudit) error {
	meta.Status, meta.EnvironmentID = v.Status, v.EnvironmentID
	if meta.RunID == 0 {
		meta.RunID = v.OperationRunID
	}
	if meta.SupersededBy == 0 {
		meta.SupersededBy = v.SupersededByReviewID
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &store.AuditEvent{WorkspaceID: v.WorkspaceID, Actor: actor, Action: action,
		SubjectType: "environment_review", SubjectID: v.ID, Metadata: b})
}

// Review returns a review of a workspace with its content.
func (s *Service) Review(ctx context.Context, workspaceID, id int64) (v *reckon.Review, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.Review(ctx, workspaceID, id)
		return scoped(err, "review.error.not_found")
	})
	return v, err
}

// LatestReview returns the newest review of an environment, whatever its
// status, with its content; CodeNotFound when it has none.
func (s *Service) LatestReview(ctx context.Context, scope reckon.Scope) (v *reckon.Review, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		v, err = tx.LatestReview(ctx, scope)
		return scoped(err, "review.error.not_found")
	})
	return v, err
}

// ReviewFilter narrows a list of reviews.
type ReviewFilter struct {
	EnvironmentID int64 // 0 for every environment
	// Environments, when not empty, limits the list to these environments
	// (a member's entitlements).
	Environments []int64
	Status       reckon.ReviewStatus // "" for every status
	reckon.Page
}

// Reviews lists a workspace's reviews newest first, without content. next
// is 0 on the last page. An unknown status is a CodeValidation error.
func (s *Service) Reviews(ctx context.Context, workspaceID int64, f ReviewFilter) (list []*reckon.Review, next int64, err error) {
	if f.Status != "" && !f.Status.Valid() {
		v := reckon.ValidationErrors{}
		v.Add("status", "review.field.invalid_choice", "choices", "draft, ready, published, archived, failed, superseded")
		return nil, 0, v.Err()
	}
	limit := f.Size()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		list, err = tx.Reviews(ctx, workspaceID, store.ReviewFilter{EnvironmentID: f.EnvironmentID, Environments: f.Environments, Status: f.Status,
			Limit: limit + 1, Cursor: f.Cursor})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	list, next = reckon.CutPage(list, limit, func(v *reckon.Review) int64 { return v.ID })
	return list, next, nil
}
