// Package review is reckon's first domain on the run ledger: environment
// reviews composed from evidence snapshots (docs/design.md §6, §7).
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
	"strings"
	"time"

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

func (s *Service) environment(ctx context.Context, tx *store.Tx, scope reckon.Scope) (*reckon.Environment, error) {
	env, err := tx.Environment(ctx, scope.WorkspaceID, scope.EnvironmentID)
	return env, scoped(err, "review.error.environment_not_found")
}

// ImportSnapshot stores an evidence snapshot of an environment. The input is
// validated first; a bad one writes nothing.
//
// When the input names an external id, importing is idempotent: the same
// format, external id and content return the stored snapshot with
// existed=true; other content under that id is a CodeConflict error. When
// the input names a tenant and the environment has recorded another, the
// import is refused with CodeTenantMismatch; an environment without one
// records this import's tenant in the same transaction.
func (s *Service) ImportSnapshot(ctx context.Context, scope reckon.Scope, input reckon.SnapshotInput) (snap *reckon.Snapshot, existed bool, err error) {
	in := input
	if err := ValidateSnapshot(&in); err != nil {
		return nil, false, err
	}
	in.CapturedAt = in.CapturedAt.UTC().Truncate(time.Microsecond) // as stored
	findings := canonicalFindings(in.Findings)
	hash := ContentHash(findings)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		snap, existed = nil, false
		env, err := s.environment(ctx, tx, scope)
		if err != nil {
			return err
		}
		if tenant := strings.TrimSpace(in.Source.TenantID); tenant != "" {
			recorded := env.TenantID
			if recorded == "" {
				if recorded, err = tx.ClaimEnvironmentTenant(ctx, scope, tenant); err != nil {
					return err
				}
			}
			if !strings.EqualFold(recorded, tenant) {
				return reckon.Errorf(reckon.CodeTenantMismatch, "snapshot.error.tenant_mismatch",
					"tenant", tenant, "recorded", recorded)
			}
		}
		snap, err = tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: in.CapturedAt,
			ContentHash: hash, Findings: findings, Source: in.Source})
		if !store.IsConflict(err) {
			return err
		}
		prior, err := tx.SnapshotByExternalID(ctx, scope, in.Source.Format, in.Source.ExternalID)
		if err != nil {
			return err
		}
		if prior.ContentHash != hash {
			return reckon.Errorf(reckon.CodeConflict, "snapshot.error.external_id_conflict",
				"external_id", in.Source.ExternalID)
		}
		snap, existed = prior, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return snap, existed, nil
}

// Page asks for one page of a newest-first list.
type Page struct {
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Cursor is the next cursor of the previous page; 0 for the first.
	Cursor int64
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// nextCursor reads one row more than the page holds: when it exists, the
// page is trimmed and the cursor is the last id shown.
func nextCursor[T any](items []T, limit int, id func(T) int64) ([]T, int64) {
	if len(items) <= limit {
		return items, 0
	}
	items = items[:limit]
	return items, id(items[limit-1])
}

// Snapshots lists an environment's snapshots, newest import first, without
// their findings. next is 0 on the last page.
func (s *Service) Snapshots(ctx context.Context, scope reckon.Scope, page Page) (list []*reckon.Snapshot, next int64, err error) {
	limit := page.limit()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.environment(ctx, tx, scope); err != nil {
			return err
		}
		list, err = tx.Snapshots(ctx, scope, limit+1, page.Cursor)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	list, next = nextCursor(list, limit, func(s *reckon.Snapshot) int64 { return s.ID })
	return list, next, nil
}

// Snapshot returns a snapshot of a workspace with its findings.
func (s *Service) Snapshot(ctx context.Context, workspaceID, id int64) (snap *reckon.Snapshot, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		snap, err = tx.Snapshot(ctx, workspaceID, id)
		return scoped(err, "review.error.snapshot_not_found")
	})
	return snap, err
}

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
// returns a CodeNoEvidence error.
func (s *Service) Compose(ctx context.Context, scope reckon.Scope, initiatorUserID int64) (res *ComposeResult, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.environment(ctx, tx, scope); err != nil {
			return err
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
		res, err = s.compose(ctx, tx, reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID}, initiatorUserID)
		return err
	})
	return res, err
}

func (s *Service) compose(ctx context.Context, tx *store.Tx, scope reckon.Scope, initiatorUserID int64) (*ComposeResult, error) {
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
	Page
}

// Reviews lists a workspace's reviews newest first, without content. next
// is 0 on the last page. An unknown status is a CodeValidation error.
func (s *Service) Reviews(ctx context.Context, workspaceID int64, f ReviewFilter) (list []*reckon.Review, next int64, err error) {
	if f.Status != "" && !f.Status.Valid() {
		v := reckon.ValidationErrors{}
		v.Add("status", "review.field.invalid_choice", "choices", "draft, ready, published, archived, failed, superseded")
		return nil, 0, v.Err()
	}
	limit := f.limit()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		list, err = tx.Reviews(ctx, workspaceID, store.ReviewFilter{EnvironmentID: f.EnvironmentID, Environments: f.Environments, Status: f.Status,
			Limit: limit + 1, Cursor: f.Cursor})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	list, next = nextCursor(list, limit, func(v *reckon.Review) int64 { return v.ID })
	return list, next, nil
}
