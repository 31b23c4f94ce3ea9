package reckon

import (
	"encoding/json"
	"time"
)

// RunType is a catalog key such as "environment.review.compose".
type RunType string

// The run types reckon ships.
const (
	RunTypeReviewCompose  RunType = "environment.review.compose"
	RunTypeRestoreExecute RunType = "restore.execute"
)

// RunStatus is where a run is in its lifecycle.
type RunStatus string

// Run statuses. A run moves queued → running → completed, or queued → completed.
const (
	RunQueued    RunStatus = "queued"
	RunRunning   RunStatus = "running"
	RunCompleted RunStatus = "completed"
)

// Active reports whether the status is queued or running.
func (s RunStatus) Active() bool { return s == RunQueued || s == RunRunning }

// Valid reports whether s is a known status.
func (s RunStatus) Valid() bool { return s == RunQueued || s == RunRunning || s == RunCompleted }

// Outcome says how a run ended. It is pending until the run completes.
type Outcome string

// Outcomes.
const (
	OutcomePending            Outcome = "pending"
	OutcomeSucceeded          Outcome = "succeeded"
	OutcomePartiallySucceeded Outcome = "partially_succeeded"
	OutcomeBlocked            Outcome = "blocked"
	OutcomeFailed             Outcome = "failed"
	OutcomeCancelled          Outcome = "cancelled"
)

// Terminal reports whether o is an outcome a completed run can have.
func (o Outcome) Terminal() bool {
	switch o {
	case OutcomeSucceeded, OutcomePartiallySucceeded, OutcomeBlocked, OutcomeFailed, OutcomeCancelled:
		return true
	}
	return false
}

// Valid reports whether o is a known outcome, pending included.
func (o Outcome) Valid() bool { return o == OutcomePending || o.Terminal() }

// Run is one operation run: the ledger row of one background operation.
type Run struct {
	ID              int64
	WorkspaceID     int64
	EnvironmentID   int64 // 0 when the run type is not environment-scoped
	Type            RunType
	IdentityHash    string
	Status          RunStatus
	Outcome         Outcome
	InitiatorUserID int64 // 0 for system-initiated runs
	Context         RunContext
	Summary         json.RawMessage // type-specific counts; nil when none
	Failure         *Failure
	JobID           int64 // the queue job that executes the run; 0 when none
	Attempts        int
	DeadlineAt      time.Time // queued or running deadline, whichever applies now
	CreatedAt       time.Time
	StartedAt       *time.Time
	CompletedAt     *time.Time
	UpdatedAt       time.Time
}

// Scope returns the run's workspace and environment.
func (r *Run) Scope() Scope { return Scope{WorkspaceID: r.WorkspaceID, EnvironmentID: r.EnvironmentID} }

// Evidence returns the evidence that names the run in its own scope: the
// start of every decision about it, to which an adapter adds the rows it
// proved the decision from.
func (r *Run) Evidence() Evidence {
	return Evidence{WorkspaceID: r.WorkspaceID, EnvironmentID: r.EnvironmentID, RunIDs: []int64{r.ID}}
}

// PastDeadline reports whether an active run has outlived its deadline at now.
func (r *Run) PastDeadline(now time.Time) bool {
	return r.Status.Active() && !r.DeadlineAt.IsZero() && now.After(r.DeadlineAt)
}

// RunContext is the structured context of a run. Type-specific inputs sit next
// to the one reconciliation record every type shares.
type RunContext struct {
	// Fingerprint of the review a compose run produces.
	Fingerprint string `json:"fingerprint,omitempty"`
	// EvidenceSnapshotID the compose run composes from.
	EvidenceSnapshotID int64 `json:"evidence_snapshot_id,omitempty"`
	// BaselineSnapshotID is the snapshot of the environment's previous
	// review that a compose run compares against; 0 when there is none.
	BaselineSnapshotID int64 `json:"baseline_snapshot_id,omitempty"`
	// RestoreRunID is the restore_runs row a restore run executes.
	RestoreRunID int64 `json:"restore_run_id,omitempty"`
	// BackupRef names the backup a restore run applies.
	BackupRef string `json:"backup_ref,omitempty"`
	// RetryOf is the run this run retries; RetriedBy the run that retried
	// this one. The ledger writes both in the retry's transaction.
	RetryOf   int64 `json:"retry_of,omitempty"`
	RetriedBy int64 `json:"retried_by,omitempty"`
	// Bulk is what a bulk run does.
	Bulk *BulkRequest `json:"bulk,omitempty"`
	// Reconciliation is set when the run was settled from evidence outside
	// the job that ran it.
	Reconciliation *Reconciliation `json:"reconciliation,omitempty"`
}

// RunTypeBulk is the run type of an operator action on every run a filter
// matches, when there are too many to act on in one request.
const RunTypeBulk RunType = "operations.bulk"

// BulkRequest is an operator action on every run a filter matches.
type BulkRequest struct {
	Action string `json:"action"`
	// Filter is the list filter, as the operator package stores it.
	Filter json.RawMessage `json:"filter"`
	Note   string          `json:"note,omitempty"`
	// UserID is who asked; MayRestore whether their role may restore,
	// which a restore's retry needs.
	UserID     int64 `json:"user_id,omitempty"`
	MayRestore bool  `json:"may_restore,omitempty"`
}

// Failure says why a run failed, as a localisable reason code. It never holds
// SQL, constraint names or driver text.
type Failure struct {
	ReasonCode string `json:"reason_code"`
}

// ReconcileSource says who settled a run.
type ReconcileSource string

// Reconciliation sources.
const (
	SourceAdapter    ReconcileSource = "adapter"
	SourceLifecycle  ReconcileSource = "lifecycle"
	SourceComposeJob ReconcileSource = "compose_job"
	SourceOperator   ReconcileSource = "operator"
)

// Reconciliation is the one metadata shape of a settled run (docs/design.md §4),
// stored in context.reconciliation.
type Reconciliation struct {
	Source       ReconcileSource `json:"source"`
	Adapter      string          `json:"adapter,omitempty"`
	Decision     Outcome         `json:"decision"`
	ReasonCode   string          `json:"reason_code"`
	ReconciledAt time.Time       `json:"reconciled_at"`
	Evidence     Evidence        `json:"evidence"`
}

// Evidence holds only safe identifiers and states (docs/design.md §2.6): never SQL,
// constraint names, payloads, tokens or URLs.
type Evidence struct {
	WorkspaceID         int64        `json:"workspace_id"`
	EnvironmentID       int64        `json:"environment_id,omitempty"`
	ReviewID            int64        `json:"review_id,omitempty"`
	ReviewStatus        ReviewStatus `json:"review_status,omitempty"`
	Fingerprint         string       `json:"fingerprint,omitempty"`
	ConsideredReviewIDs []int64      `json:"considered_review_ids,omitempty"`
	RunIDs              []int64      `json:"run_ids,omitempty"`
	RestoreRunID        int64        `json:"restore_run_id,omitempty"`
	RestoreStatus       string       `json:"restore_status,omitempty"`
	RestoreItems        *ItemCounts  `json:"restore_items,omitempty"`
	JobID               int64        `json:"job_id,omitempty"`
	DeadlineAt          *time.Time   `json:"deadline_at,omitempty"`
	// ResolvedBy names the operator ("user:7", "cli") whose choice settled
	// an ambiguity; the decision's ReviewID is the review they kept.
	ResolvedBy string `json:"resolved_by,omitempty"`
}

// ItemCounts counts the items of a run that applies many (a restore).
type ItemCounts struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
}

// Reason codes written by the lifecycle and the reconciler. Domain packages
// define their own (review.*, restore.*). Each has an EN and DE sentence in
// the locale catalogs.
const (
	ReasonStaleQueued   = "run.stale_queued"
	ReasonStaleRunning  = "run.stale_running"
	ReasonJobDiscarded  = "run.job_discarded"
	ReasonInternalError = "run.internal_error"
	ReasonCancelled     = "run.cancelled"
)

// Decision is what reconciliation concludes about a run from domain rows.
// A zero Outcome means "no change": no proof yet, leave the run alone.
type Decision struct {
	Outcome    Outcome
	ReasonCode string
	Evidence   Evidence
	// NeedsDeadline is true for decisions that hold only because the run is
	// past its deadline; only the reconciler acts on those.
	NeedsDeadline bool
}

// Settles reports whether the decision changes the run.
func (d Decision) Settles() bool { return d.Outcome != "" }
