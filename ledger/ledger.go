// Package ledger is the run ledger: the only code that writes
// operation_runs. It creates runs (deduplicating repeated triggers on the
// active-identity index), moves them through their lifecycle with validated
// transitions, and writes exactly one audit event — and a notification for
// the initiator — per terminal transition, in the same transaction.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/store"
)

// Enqueuer inserts the job that executes a run in the caller's transaction.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (jobID int64, err error)
}

// Ledger owns every write to operation_runs.
type Ledger struct {
	catalog  *catalog.Catalog
	enqueuer Enqueuer
}

// New returns a ledger. enqueuer may be nil for processes that never create
// runs with jobs (read-only tools); Ensure then refuses types that have one.
func New(cat *catalog.Catalog, enqueuer Enqueuer) *Ledger {
	return &Ledger{catalog: cat, enqueuer: enqueuer}
}

// Catalog returns the ledger's run-type catalog.
func (l *Ledger) Catalog() *catalog.Catalog { return l.catalog }

// Errors returned by ledger methods.
var (
	// ErrInvalidTransition: the requested status or outcome change is not
	// allowed from the run's current state.
	ErrInvalidTransition = errors.New("ledger: invalid transition")
	// ErrUnknownType: the run type is not in the catalog.
	ErrUnknownType = errors.New("ledger: unknown run type")
)

// Identity hashes a run's type, scope and type-specific key into the
// identity that deduplicates active runs.
func Identity(typ reckon.RunType, scope reckon.Scope, key string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s", typ, scope.WorkspaceID, scope.EnvironmentID, key)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// EnsureParams describe the run a trigger asks for.
type EnsureParams struct {
	Scope reckon.Scope
	Type  reckon.RunType
	// Key is the type-specific identity (for example a review fingerprint).
	Key             string
	Context         reckon.RunContext
	InitiatorUserID int64
}

// Ensure returns the active run with the parameters' identity, or creates a
// queued one and enqueues its job in the same transaction. created tells the
// caller which happened. Concurrent callers with one identity get one run.
func (l *Ledger) Ensure(ctx context.Context, tx *store.Tx, p *EnsureParams) (run *reckon.Run, created bool, err error) {
	rt, ok := l.catalog.Lookup(p.Type)
	if !ok {
		return nil, false, fmt.Errorf("%w: %q", ErrUnknownType, p.Type)
	}
	if p.Scope.WorkspaceID == 0 {
		return nil, false, fmt.Errorf("ledger: run type %s needs a workspace", p.Type)
	}
	if rt.EnvironmentScoped && p.Scope.EnvironmentID == 0 {
		return nil, false, fmt.Errorf("ledger: run type %s needs an environment", p.Type)
	}
	// The store refuses an environment of another workspace (ErrNotFound).
	run, created, err = tx.InsertRunIfAbsent(ctx, &store.RunInsert{
		Scope:           p.Scope,
		Type:            p.Type,
		IdentityHash:    Identity(p.Type, p.Scope, p.Key),
		InitiatorUserID: p.InitiatorUserID,
		Context:         p.Context,
		DeadlineAt:      tx.Now().Add(rt.QueuedDeadline),
	})
	if err != nil || !created || rt.JobArgs == nil {
		return run, created, err
	}
	if l.enqueuer == nil {
		return nil, false, fmt.Errorf("ledger: no queue to enqueue %s", p.Type)
	}
	jobID, err := l.enqueuer.InsertTx(ctx, tx, rt.JobArgs(run.ID), &river.InsertOpts{})
	if err != nil {
		return nil, false, fmt.Errorf("ledger: enqueue run %d: %w", run.ID, err)
	}
	run.JobID = jobID
	if err := tx.SetRunJob(ctx, run.ID, jobID); err != nil {
		return nil, false, err
	}
	return run, true, nil
}

// MarkRunning moves a queued run to running and starts its running
// deadline. A redelivered job finds the run already running: the attempt is
// counted but the deadline is not extended, so crash loops cannot keep a
// run alive. A completed run is returned unchanged with changed=false.
func (l *Ledger) MarkRunning(ctx context.Context, tx *store.Tx, runID int64) (run *reckon.Run, changed bool, err error) {
	run, err = tx.LockRun(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: load run %d: %w", runID, err)
	}
	switch run.Status {
	case reckon.RunCompleted:
		return run, false, nil
	case reckon.RunQueued:
		rt, ok := l.catalog.Lookup(run.Type)
		if !ok {
			return nil, false, fmt.Errorf("%w: %q", ErrUnknownType, run.Type)
		}
		now := tx.Now()
		run.Status = reckon.RunRunning
		run.StartedAt = &now
		run.DeadlineAt = now.Add(rt.RunningDeadline)
	}
	run.Attempts++
	if err := tx.UpdateRun(ctx, run); err != nil {
		return nil, false, err
	}
	return run, true, nil
}

// Completion is how a run ends.
type Completion struct {
	Outcome reckon.Outcome
	// Summary holds type-specific counts; nil for none.
	Summary json.RawMessage
	// ReasonCode explains a failed, blocked or cancelled outcome; it becomes
	// the run's failure.
	ReasonCode string
	// Reconciliation, when set, is stored as context.reconciliation.
	Reconciliation *reckon.Reconciliation
	// Actor names who completed the run in the audit trail
	// ("job", "reconciler", "user:7").
	Actor string
	// Note is an operator's optional note, kept in the audit event.
	Note string
}

// Complete ends a run. A run that is already completed is left exactly as it
// is and changed is false: no write, no audit event, no notification.
func (l *Ledger) Complete(ctx context.Context, tx *store.Tx, runID int64, c *Completion) (run *reckon.Run, changed bool, err error) {
	if err := c.validate(); err != nil {
		return nil, false, err
	}
	run, err = tx.LockRun(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: load run %d: %w", runID, err)
	}
	if run.Status == reckon.RunCompleted {
		return run, false, nil
	}
	now := tx.Now()
	var rec *reckon.Reconciliation
	if c.Reconciliation != nil {
		if rec, err = scopedReconciliation(run, c.Reconciliation, now); err != nil {
			return nil, false, err
		}
	}
	run.Status = reckon.RunCompleted
	run.Outcome = c.Outcome
	run.CompletedAt = &now
	if c.Summary != nil {
		run.Summary = c.Summary
	}
	if c.ReasonCode != "" && c.Outcome != reckon.OutcomeSucceeded {
		run.Failure = &reckon.Failure{ReasonCode: c.ReasonCode}
	}
	if rec != nil {
		run.Context.Reconciliation = rec
	}
	if err := tx.UpdateRun(ctx, run); err != nil {
		return nil, false, err
	}
	if err := l.recordCompletion(ctx, tx, run, c, rec); err != nil {
		return nil, false, err
	}
	return run, true, nil
}

// validate rejects completions no run may take, before any row is touched.
func (c *Completion) validate() error {
	if !c.Outcome.Terminal() {
		return fmt.Errorf("%w: %q is not a terminal outcome", ErrInvalidTransition, c.Outcome)
	}
	if c.Outcome != reckon.OutcomeSucceeded && c.Outcome != reckon.OutcomePartiallySucceeded && c.ReasonCode == "" {
		return fmt.Errorf("%w: outcome %s needs a reason code", ErrInvalidTransition, c.Outcome)
	}
	// PostgreSQL would refuse malformed JSON and SQLite would store it: refuse
	// it here so both engines behave alike.
	if c.Summary != nil && !json.Valid(c.Summary) {
		return fmt.Errorf("%w: summary is not valid JSON", ErrInvalidTransition)
	}
	rec := c.Reconciliation
	if rec == nil {
		return nil
	}
	switch rec.Source {
	case reckon.SourceAdapter, reckon.SourceLifecycle, reckon.SourceComposeJob, reckon.SourceOperator:
	default:
		return fmt.Errorf("%w: unknown reconciliation source %q", ErrInvalidTransition, rec.Source)
	}
	if rec.Decision != c.Outcome {
		return fmt.Errorf("%w: reconciliation decision %q differs from outcome %q", ErrInvalidTransition, rec.Decision, c.Outcome)
	}
	if rec.ReasonCode == "" {
		return fmt.Errorf("%w: reconciliation needs a reason code", ErrInvalidTransition)
	}
	return nil
}

// scopedReconciliation returns a copy of rec whose evidence names the run's
// own scope and whose time is set (both filled in when left out). Evidence
// from another workspace or environment is refused: a run is settled only
// from rows of its own scope.
func scopedReconciliation(run *reckon.Run, rec *reckon.Reconciliation, now time.Time) (*reckon.Reconciliation, error) {
	out := *rec
	out.ReconciledAt = rec.ReconciledAt.UTC()
	if out.ReconciledAt.IsZero() {
		out.ReconciledAt = now
	}
	ev := &out.Evidence
	if ev.WorkspaceID == 0 {
		ev.WorkspaceID = run.WorkspaceID
	}
	if ev.EnvironmentID == 0 {
		ev.EnvironmentID = run.EnvironmentID
	}
	if ev.WorkspaceID != run.WorkspaceID || ev.EnvironmentID != run.EnvironmentID {
		return nil, fmt.Errorf("%w: evidence of workspace %d environment %d cannot settle run %d",
			ErrInvalidTransition, ev.WorkspaceID, ev.EnvironmentID, run.ID)
	}
	return &out, nil
}

// UpdateWithReconciliation settles a run from a reconciliation decision,
// storing the one metadata shape of docs/design.md §4. Like Complete, it is a
// no-op on a completed run.
func (l *Ledger) UpdateWithReconciliation(ctx context.Context, tx *store.Tx, runID int64, rec reckon.Reconciliation, actor string) (*reckon.Run, bool, error) {
	return l.Complete(ctx, tx, runID, &Completion{
		Outcome:        rec.Decision,
		ReasonCode:     rec.ReasonCode,
		Reconciliation: &rec,
		Actor:          actor,
	})
}

// auditMetadata is what the audit trail records of a terminal transition:
// safe identifiers and codes only.
type auditMetadata struct {
	Type       reckon.RunType         `json:"type"`
	Outcome    reckon.Outcome         `json:"outcome"`
	ReasonCode string                 `json:"reason_code,omitempty"`
	Source     reckon.ReconcileSource `json:"source,omitempty"`
	Evidence   *reckon.Evidence       `json:"evidence,omitempty"`
	Note       string                 `json:"note,omitempty"`
}

// NotificationPayload is the payload of a run-ended notification.
type NotificationPayload struct {
	RunID         int64          `json:"run_id"`
	Type          reckon.RunType `json:"type"`
	Outcome       reckon.Outcome `json:"outcome"`
	ReasonCode    string         `json:"reason_code,omitempty"`
	EnvironmentID int64          `json:"environment_id,omitempty"`
}

// NotificationRunCompleted is the kind of a run-ended notification.
const NotificationRunCompleted = "run.completed"

func (l *Ledger) recordCompletion(ctx context.Context, tx *store.Tx, run *reckon.Run, c *Completion, rec *reckon.Reconciliation) error {
	reasonCode, actor := c.ReasonCode, c.Actor
	meta := auditMetadata{Type: run.Type, Outcome: run.Outcome, ReasonCode: reasonCode, Note: c.Note}
	if rec != nil {
		meta.Source = rec.Source
		meta.Evidence = &rec.Evidence
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if actor == "" {
		actor = "system"
	}
	if err := tx.InsertAudit(ctx, &store.AuditEvent{
		WorkspaceID: run.WorkspaceID, Actor: actor, Action: "run.completed",
		SubjectType: "operation_run", SubjectID: run.ID, Metadata: b,
	}); err != nil {
		return err
	}
	if run.InitiatorUserID == 0 {
		return nil
	}
	payload, err := json.Marshal(NotificationPayload{RunID: run.ID, Type: run.Type, Outcome: run.Outcome,
		ReasonCode: reasonCode, EnvironmentID: run.EnvironmentID})
	if err != nil {
		return err
	}
	return tx.InsertNotification(ctx, &store.Notification{UserID: run.InitiatorUserID, WorkspaceID: run.WorkspaceID,
		Kind: NotificationRunCompleted, Payload: payload})
}
