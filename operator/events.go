package operator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// Event kinds of a run's timeline.
const (
	EventCreated      = "created"
	EventStarted      = "started"
	EventAttemptStart = "attempt_started"
	EventHandedOn     = "attempt_handed_on"
	EventAttemptError = "attempt_failed"
	// EventLateDelivery: the queue delivered the run's job after the run
	// had ended (settled by the reconciler or an operator first), so the
	// job found nothing to do; the ledger records no attempt for it.
	EventLateDelivery = "delivered_after_end"
	EventDeadline     = "deadline"
	EventCompleted    = "completed"
	EventReconciled   = "reconciled"
	EventAcknowledged = "acknowledged"
	EventRetried      = "retried"
	// EventResolved: an operator settled the ambiguity the run was blocked
	// on; RunID is the run that records it, ReviewID the review kept.
	EventResolved = "resolved"
)

// Event is one entry of a run's timeline. Only safe identifiers, codes and
// an operator's own note: never a job's error text.
type Event struct {
	At    time.Time
	Kind  string
	Actor string // who, for created, completed, reconciled and operator actions
	Note  string
	// Attempt, Node and ErrorClass describe an attempt; Ended is when an
	// attempt_started attempt ended (nil while it runs, or when the ledger
	// did not record it).
	Attempt    int
	Node       string
	ErrorClass string
	Ended      *time.Time
	// Outcome, ReasonCode and Source describe how the run ended.
	Outcome    reckon.Outcome
	ReasonCode string
	Source     reckon.ReconcileSource
	// RunID is the run a retry or a resolution created; ReviewID the
	// review a resolution kept.
	RunID    int64
	ReviewID int64
}

// Links are the records a run's timeline points to; zero when none.
type Links struct {
	ReviewID           int64
	EvidenceSnapshotID int64
	JobID              int64
	JobState           string // the queue's state of the job; "" when the queue no longer holds it
	RetryOf            int64
	RetriedBy          int64
	// DraftTakenOverBy is the run that took this run's draft over;
	// TookOverFrom the run whose draft this run took over.
	DraftTakenOverBy int64
	TookOverFrom     int64
}

// Timeline is what happened to a run, oldest first.
type Timeline struct {
	Run    *reckon.Run
	Events []Event
	Links  Links
	// Acknowledged is the acknowledgement, when the run has one.
	Acknowledged *store.RunAcknowledgement
}

// auditRecord is the union of what the ledger's run events record.
type auditRecord struct {
	Outcome    reckon.Outcome         `json:"outcome"`
	ReasonCode string                 `json:"reason_code"`
	Source     reckon.ReconcileSource `json:"source"`
	Note       string                 `json:"note"`
	RetriedBy  int64                  `json:"retried_by"`
	ReviewID   int64                  `json:"review_id"`
}

// Events reads a run's timeline from the run, the audit trail and the
// queue's record of its job's attempts.
func (s *Service) Events(ctx context.Context, workspaceID, runID int64) (*Timeline, error) {
	var tl *Timeline
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		tl, err = s.EventsTx(ctx, tx, workspaceID, runID)
		return err
	})
	return tl, err
}

// EventsTx is Events in the caller's transaction, for a page that reads
// the run's other rows with it.
func (s *Service) EventsTx(ctx context.Context, tx *store.Tx, workspaceID, runID int64) (*Timeline, error) {
	run, err := tx.Run(ctx, workspaceID, runID)
	if store.IsNotFound(err) {
		return nil, access.NotFound("operation")
	}
	if err != nil {
		return nil, err
	}
	tl := &Timeline{Run: run, Links: Links{EvidenceSnapshotID: run.Context.EvidenceSnapshotID, JobID: run.JobID,
		RetryOf: run.Context.RetryOf, RetriedBy: run.Context.RetriedBy}}
	creator := "system"
	if run.InitiatorUserID != 0 {
		creator = fmt.Sprintf("user:%d", run.InitiatorUserID)
	}
	tl.Events = append(tl.Events, Event{At: run.CreatedAt, Kind: EventCreated, Actor: creator})
	if run.StartedAt != nil {
		tl.Events = append(tl.Events, Event{At: *run.StartedAt, Kind: EventStarted, Attempt: run.Attempts})
	}
	if run.Status.Active() && !run.DeadlineAt.IsZero() {
		tl.Events = append(tl.Events, Event{At: run.DeadlineAt, Kind: EventDeadline})
	}
	if v, err := tx.ReviewOfRun(ctx, workspaceID, run.ID); err == nil {
		tl.Links.ReviewID = v.ID
	} else if !store.IsNotFound(err) {
		return nil, err
	}
	if err := draftLinks(ctx, tx, workspaceID, run.ID, &tl.Links); err != nil {
		return nil, err
	}
	if a, err := tx.RunAcknowledgementOf(ctx, workspaceID, run.ID); err == nil {
		tl.Acknowledged = a
	} else if !store.IsNotFound(err) {
		return nil, err
	}
	audit, err := tx.AuditEvents(ctx, workspaceID, "operation_run", run.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range audit {
		var m auditRecord
		if err := json.Unmarshal(e.Metadata, &m); err != nil {
			return nil, fmt.Errorf("operator: audit event %d: %w", e.ID, err)
		}
		ev := Event{At: e.CreatedAt, Actor: e.Actor, Note: m.Note}
		switch e.Action {
		case "run.completed":
			ev.Kind, ev.Outcome, ev.ReasonCode, ev.Source = EventCompleted, m.Outcome, m.ReasonCode, m.Source
			if m.Source != "" && m.Source != reckon.SourceComposeJob {
				ev.Kind = EventReconciled
			}
		case "run.acknowledged":
			ev.Kind = EventAcknowledged
		case "run.retried":
			ev.Kind, ev.RunID = EventRetried, m.RetriedBy
		case "run.resolved":
			ev.Kind, ev.RunID, ev.ReviewID = EventResolved, m.RetriedBy, m.ReviewID
		default:
			continue
		}
		tl.Events = append(tl.Events, ev)
	}
	attempts, err := tx.RunAttempts(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	var job *queue.Job
	if run.JobID != 0 {
		job, err = s.queue.JobTx(ctx, tx, run.JobID)
		switch {
		case err == nil:
			tl.Links.JobState = job.State
		case store.IsNotFound(err):
			job = nil
		default:
			return nil, err
		}
	}
	tl.Events = append(tl.Events, attemptEvents(run, attempts, job)...)
	// Events of one instant in the order they can happen in; stable, so
	// that those of one kind keep the order they were read in.
	slices.SortStableFunc(tl.Events, func(a, b Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]))
	})
	return tl, nil
}

// kindOrder places events of one instant: a run is created, starts, its
// attempts run, it ends, and then operators act on it.
var kindOrder = map[string]int{EventCreated: 0, EventStarted: 1, EventAttemptStart: 2, EventHandedOn: 3, EventAttemptError: 4, EventLateDelivery: 8,
	EventDeadline: 5, EventCompleted: 6, EventReconciled: 6, EventAcknowledged: 7, EventRetried: 7, EventResolved: 7}

// attemptEvents are the run's attempts as the ledger recorded them (the
// node each ran on, a dead node's hand-on) and the failed attempts the
// queue recorded. Where the ledger names no node (a worker outside a
// registered node), the queue's client id stands in; where the ledger
// recorded no attempt, the queue's latest one does.
func attemptEvents(run *reckon.Run, attempts []*store.RunAttempt, job *queue.Job) []Event {
	client := func(attempt int) string {
		if job == nil || attempt < 1 || attempt > len(job.AttemptedBy) {
			return ""
		}
		return job.AttemptedBy[attempt-1]
	}
	var out []Event
	for _, a := range attempts {
		out = append(out, Event{At: a.StartedAt, Kind: EventAttemptStart, Attempt: a.Attempt, Node: cmp.Or(a.NodeName, client(a.Attempt)),
			Ended: a.EndedAt})
		if a.HandedOnAt != nil {
			out = append(out, Event{At: *a.HandedOnAt, Kind: EventHandedOn, Attempt: a.Attempt, Node: cmp.Or(a.NodeName, client(a.Attempt))})
		}
	}
	if job == nil {
		return out
	}
	for _, e := range job.Errors {
		out = append(out, Event{At: e.At.UTC(), Kind: EventAttemptError, Attempt: e.Attempt, Node: e.Node, ErrorClass: e.ErrorClass})
	}
	if len(attempts) == 0 && job.AttemptedAt != nil && job.Attempt > 0 {
		ev := Event{At: job.AttemptedAt.UTC(), Kind: EventAttemptStart, Attempt: job.Attempt, Node: client(job.Attempt)}
		if run.CompletedAt != nil && ev.At.After(*run.CompletedAt) {
			ev.Kind = EventLateDelivery
		}
		out = append(out, ev)
	}
	return out
}

// draftLinks finds the takeovers of a draft that involve the run, from the
// review's audit trail (review.taken_over names the new owner and the
// previous one).
func draftLinks(ctx context.Context, tx *store.Tx, workspaceID, runID int64, l *Links) error {
	events, err := tx.AuditEventsByAction(ctx, workspaceID, "environment_review", "review.taken_over")
	if err != nil {
		return err
	}
	for _, e := range events {
		var m struct {
			RunID         int64 `json:"run_id"`
			PreviousRunID int64 `json:"previous_run_id"`
		}
		if err := json.Unmarshal(e.Metadata, &m); err != nil {
			return fmt.Errorf("operator: audit event %d: %w", e.ID, err)
		}
		switch runID {
		case m.PreviousRunID:
			l.DraftTakenOverBy = m.RunID
			if l.ReviewID == 0 {
				l.ReviewID = e.SubjectID
			}
		case m.RunID:
			l.TookOverFrom = m.PreviousRunID
		}
	}
	return nil
}
