// Package ledger is the run ledger: the only code that writes
// operation_runs. It creates runs (deduplicating repeated triggers on the
// active-identity index), moves them through their lifecycle with validated
// transitions, and writes exactly one audit event — and a notification for
// the initiator — per terminal transition, in the same transaction.
package ledger

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/trace"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/store"
)

// Enqueuer inserts the jobs that execute runs in the caller's transaction,
// in one statement, and returns their ids in order.
type Enqueuer interface {
	InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) (jobIDs []int64, err error)
}

// Ledger owns every write to operation_runs.
type Ledger struct {
	catalog  *catalog.Catalog
	enqueuer Enqueuer
	node     atomic.Int64 // this process's node, for attempts (attempts.go)
	tracer   trace.Tracer // telemetry.go
	observer Observer
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
	runs, createdRuns, err := l.EnsureMany(ctx, tx, []*EnsureParams{p})
	if err != nil {
		return nil, false, err
	}
	return runs[0], createdRuns[0], nil
}

// Trigger is Ensure as a transaction of its own, for a trigger that writes
// nothing else: the run and its job have committed when it returns.
func (l *Ledger) Trigger(ctx context.Context, db *store.DB, p *EnsureParams) (run *reckon.Run, created bool, err error) {
	err = db.InTx(ctx, func(tx *store.Tx) (err error) {
		run, created, err = l.Ensure(ctx, tx, p)
		return err
	})
	return run, created, err
}

// EnsureMany is Ensure for many triggers at once (a fan-out such as
// composing every stale environment): runs[i] and created[i] answer ps[i].
// On PostgreSQL the runs are one statement, their jobs one more and the
// jobs' ids a third, however many there are. Two triggers with one
// identity get one run, created for the first only.
func (l *Ledger) EnsureMany(ctx context.Context, tx *store.Tx, ps []*EnsureParams) (runs []*reckon.Run, created []bool, err error) {
	if l.tracer != nil {
		var end func([]*reckon.Run, []bool, error)
		ctx, end = l.startSpan(ctx, tx, "ledger.ensure")
		defer func() { end(runs, created, err) }()
	}
	inserts := make([]*store.RunInsert, len(ps))
	types := make([]*catalog.RunType, len(ps))
	for i, p := range ps {
		rt, ok := l.catalog.Lookup(p.Type)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %q", ErrUnknownType, p.Type)
		}
		if p.Scope.WorkspaceID == 0 {
			return nil, nil, fmt.Errorf("ledger: run type %s needs a workspace", p.Type)
		}
		if rt.EnvironmentScoped && p.Scope.EnvironmentID == 0 {
			return nil, nil, fmt.Errorf("ledger: run type %s needs an environment", p.Type)
		}
		if rt.JobArgs != nil && l.enqueuer == nil {
			return nil, nil, fmt.Errorf("ledger: no queue to enqueue %s", p.Type)
		}
		types[i] = rt
		inserts[i] = &store.RunInsert{
			Scope:           p.Scope,
			Type:            p.Type,
			IdentityHash:    Identity(p.Type, p.Scope, p.Key),
			InitiatorUserID: p.InitiatorUserID,
			Context:         p.Context,
			DeadlineAt:      tx.Now().Add(rt.QueuedDeadline),
		}
	}
	// The store refuses an environment of another workspace (ErrNotFound).
	if runs, created, err = tx.InsertRunsIfAbsent(ctx, inserts); err != nil {
		return nil, nil, err
	}
	for i, run := range runs {
		if created[i] {
			l.transitioned(tx, run)
		}
	}
	var (
		jobs    []river.InsertManyParams
		started []*reckon.Run
	)
	for i, run := range runs {
		if created[i] && types[i].JobArgs != nil {
			jobs = append(jobs, river.InsertManyParams{Args: types[i].JobArgs(run.ID), InsertOpts: &river.InsertOpts{}})
			started = append(started, run)
		}
	}
	if len(jobs) == 0 {
		return runs, created, nil
	}
	jobIDs, err := l.enqueuer.InsertManyTx(ctx, tx, jobs)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: enqueue %d runs: %w", len(jobs), err)
	}
	runIDs := make([]int64, len(started))
	for i, run := range started {
		run.JobID, runIDs[i] = jobIDs[i], run.ID
	}
	if err := tx.SetRunJobs(ctx, runIDs, jobIDs); err != nil {
		return nil, nil, err
	}
	return runs, created, nil
}

// MarkRunning moves a queued run to running and starts its running
// deadline. A redelivered job finds the run already running: the attempt is
// counted but the deadline is not extended, so crash loops cannot keep a
// run alive. A completed run is returned unchanged with changed=false.
func (l *Ledger) MarkRunning(ctx context.Context, tx *store.Tx, runID int64) (run *reckon.Run, changed bool, err error) {
	if l.tracer != nil {
		var end func([]*reckon.Run, []bool, error)
		ctx, end = l.startSpan(ctx, tx, "ledger.mark_running")
		defer func() { end([]*reckon.Run{run}, []bool{changed}, err) }()
	}
	// The attempt is recorded with the start, on this process's node.
	run, err = tx.StartRun(ctx, runID, l.runningDeadlines(tx.Now()), l.node.Load())
	if err == nil {
		if run.Attempts == 1 { // queued until now; a redelivery counts no transition
			l.transitioned(tx, run)
		}
		return run, true, nil
	}
	if !store.IsNotFound(err) {
		return nil, false, fmt.Errorf("ledger: start run %d: %w", runID, err)
	}
	// Not started: read the run to tell completed from missing from unknown.
	run, err = tx.LockRun(ctx, runID)
	if err != nil {
		return nil, false, fmt.Errorf("ledger: load run %d: %w", runID, err)
	}
	if run.Status == reckon.RunCompleted {
		return run, false, nil
	}
	return nil, false, fmt.Errorf("%w: %q", ErrUnknownType, run.Type)
}

// Start is MarkRunning as a transaction of its own, for a job whose start
// writes nothing else: on PostgreSQL the start is one statement sent
// without BEGIN and COMMIT, one round trip (store.DB.InStatement).
func (l *Ledger) Start(ctx context.Context, db *store.DB, runID int64) (run *reckon.Run, changed bool, err error) {
	err = db.InStatement(ctx, func(tx *store.Tx) (err error) {
		run, changed, err = l.MarkRunning(ctx, tx, runID)
		return err
	})
	return run, changed, err
}

// runningDeadlines is the running deadline of every catalog type for a run
// that starts now.
func (l *Ledger) runningDeadlines(now time.Time) map[reckon.RunType]time.Time {
	types := l.catalog.Types()
	out := make(map[reckon.RunType]time.Time, len(types))
	for _, rt := range types {
		out[rt.Key] = now.Add(rt.RunningDeadline)
	}
	return out
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
	// EndJob, when set, ends the run's queue job in the same transaction
	// (queue.CompleteJob), whether or not the run was still active. On
	// PostgreSQL the run's completion travels with its statement, so that
	// both are one round trip.
	EndJob func(ctx context.Context, tx *store.Tx) error
}

// Complete ends a run. A run that is already completed is left exactly as it
// is and changed is false: no write, no audit event, no notification.
func (l *Ledger) Complete(ctx context.Context, tx *store.Tx, runID int64, c *Completion) (run *reckon.Run, changed bool, err error) {
	runs, changes, err := l.CompleteMany(ctx, tx, []RunEnd{{RunID: runID, Completion: c}})
	if err != nil {
		return nil, false, err
	}
	return runs[0], changes[0], nil
}

// RunEnd is one run's completion in CompleteMany.
type RunEnd struct {
	RunID      int64
	Completion *Completion
}

// CompleteMany is Complete for many distinct runs in one transaction (the
// sweep settles a batch so): runs[i] and changed[i] answer ends[i]. On
// PostgreSQL all the runs, audit events and notifications are one
// statement. Any invalid completion refuses the whole batch.
func (l *Ledger) CompleteMany(ctx context.Context, tx *store.Tx, ends []RunEnd) (runs []*reckon.Run, changed []bool, err error) {
	if l.tracer != nil {
		var end func([]*reckon.Run, []bool, error)
		ctx, end = l.startSpan(ctx, tx, "ledger.complete")
		defer func() { end(runs, changed, err) }()
	}
	now := tx.Now()
	rcs := make([]*store.RunCompletion, len(ends))
	seen := make(map[int64]bool, len(ends))
	for i, e := range ends {
		if seen[e.RunID] {
			return nil, nil, fmt.Errorf("%w: run %d ends twice in one batch", ErrInvalidTransition, e.RunID)
		}
		seen[e.RunID] = true
		if rcs[i], err = e.Completion.storeCompletion(e.RunID, now); err != nil {
			return nil, nil, err
		}
	}
	var endJobs func() error
	for _, e := range ends {
		if e.Completion.EndJob != nil {
			endJobs = func() error { return endJobsOf(ctx, tx, ends) }
			break
		}
	}
	if runs, err = tx.CompleteRuns(ctx, rcs, endJobs); err != nil {
		return nil, nil, fmt.Errorf("ledger: complete %d runs: %w", len(ends), err)
	}
	changed = make([]bool, len(ends))
	for i, e := range ends {
		c := e.Completion
		if runs[i] != nil {
			if c.Summary != nil {
				runs[i].Summary = c.Summary // as given: PostgreSQL's jsonb answers it reformatted
			}
			changed[i] = true
			l.transitioned(tx, runs[i])
			continue
		}
		// Not completed now: the run is missing, was completed before (a
		// second terminal write is a no-op), or the evidence is of another
		// scope.
		run, err := tx.LockRun(ctx, e.RunID)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: load run %d: %w", e.RunID, err)
		}
		if run.Status != reckon.RunCompleted && c.Reconciliation != nil {
			ev := c.Reconciliation.Evidence
			return nil, nil, fmt.Errorf("%w: evidence of workspace %d environment %d cannot settle run %d",
				ErrInvalidTransition, ev.WorkspaceID, ev.EnvironmentID, run.ID)
		}
		runs[i] = run
	}
	return runs, changed, nil
}

// endJobsOf ends the queue jobs of the ends that name how.
func endJobsOf(ctx context.Context, tx *store.Tx, ends []RunEnd) error {
	for _, e := range ends {
		if end := e.Completion.EndJob; end != nil {
			if err := end(ctx, tx); err != nil {
				return err
			}
		}
	}
	return nil
}

// storeCompletion validates c and turns it into the store's terminal write
// of run runID with its audit event and notification.
func (c *Completion) storeCompletion(runID int64, now time.Time) (*store.RunCompletion, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	rc := &store.RunCompletion{ID: runID, Outcome: c.Outcome, Summary: c.Summary,
		Audit: store.AuditEvent{Actor: cmp.Or(c.Actor, "system"), Action: "run.completed"}}
	if c.ReasonCode != "" && c.Outcome != reckon.OutcomeSucceeded {
		rc.Failure = &reckon.Failure{ReasonCode: c.ReasonCode}
	}
	meta := auditMetadata{Outcome: c.Outcome, ReasonCode: c.ReasonCode, Note: c.Note}
	if c.Reconciliation != nil {
		rec := *c.Reconciliation
		if rec.ReconciledAt = rec.ReconciledAt.UTC(); rec.ReconciledAt.IsZero() {
			rec.ReconciledAt = now
		}
		rc.Reconciliation, meta.Source = &rec, rec.Source
	}
	var err error
	if rc.Audit.Metadata, err = json.Marshal(meta); err != nil {
		return nil, err
	}
	rc.NotificationKind = NotificationRunCompleted
	if rc.NotificationPayload, err = json.Marshal(NotificationPayload{Outcome: c.Outcome, ReasonCode: c.ReasonCode}); err != nil {
		return nil, err
	}
	return rc, nil
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

// UpdateWithReconciliation settles a run from a reconciliation decision,
// storing the one metadata shape of docs/design.md §4. Like Complete, it is a
// no-op on a completed run.
func (l *Ledger) UpdateWithReconciliation(ctx context.Context, tx *store.Tx, runID int64, rec reckon.Reconciliation, actor string) (*reckon.Run, bool, error) {
	return l.Complete(ctx, tx, runID, ReconciliationCompletion(rec, actor))
}

// ReconciliationCompletion is the completion that settles a run from a
// reconciliation decision, for CompleteMany.
func ReconciliationCompletion(rec reckon.Reconciliation, actor string) *Completion {
	return &Completion{Outcome: rec.Decision, ReasonCode: rec.ReasonCode, Reconciliation: &rec, Actor: actor}
}

// auditMetadata is what the audit trail records of a terminal transition:
// safe identifiers and codes only. The store adds the run's type and the
// evidence, scoped to the run.
type auditMetadata struct {
	Outcome    reckon.Outcome         `json:"outcome"`
	ReasonCode string                 `json:"reason_code,omitempty"`
	Source     reckon.ReconcileSource `json:"source,omitempty"`
	Note       string                 `json:"note,omitempty"`
}

// NotificationPayload is the payload of a run-ended notification. The store
// fills in RunID, Type and EnvironmentID from the run it completes.
type NotificationPayload struct {
	RunID         int64          `json:"run_id"`
	Type          reckon.RunType `json:"type"`
	Outcome       reckon.Outcome `json:"outcome"`
	ReasonCode    string         `json:"reason_code,omitempty"`
	EnvironmentID int64          `json:"environment_id,omitempty"`
}

// NotificationRunCompleted is the kind of a run-ended notification.
const NotificationRunCompleted = "run.completed"
