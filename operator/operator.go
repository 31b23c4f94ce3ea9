// Package operator is what an operator does about runs: retry, cancel and
// acknowledge one run, act on every run a filter matches, and read a run's
// timeline. Each action runs in one transaction, writes through the ledger
// (the only writer of operation_runs), is audited with its actor and
// optional note, and is idempotent: repeating it changes nothing and says
// so. Transports check roles with the grant first (RetryAction names the
// role a retry needs); the service scopes every read by the workspace, so
// a run of another workspace is not found.
package operator

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// MaxNoteLength bounds an operator's note, in characters.
const MaxNoteLength = 1000

// Deps are what the service needs; all are required.
type Deps struct {
	DB         *store.DB
	Ledger     *ledger.Ledger
	Queue      *queue.Queue
	Reviews    *review.Service
	Restores   *restore.Service
	Reconciler *reconcile.Reconciler
}

// Service carries out operator actions.
type Service struct {
	db         *store.DB
	ledger     *ledger.Ledger
	queue      *queue.Queue
	reviews    *review.Service
	restores   *restore.Service
	reconciler *reconcile.Reconciler
}

// New returns the service.
func New(d Deps) *Service {
	if d.DB == nil || d.Ledger == nil || d.Queue == nil || d.Reviews == nil || d.Restores == nil || d.Reconciler == nil {
		panic("operator: New needs a database, the ledger, the queue and the review, restore and reconcile services")
	}
	return &Service{db: d.DB, ledger: d.Ledger, queue: d.Queue, reviews: d.Reviews, restores: d.Restores, reconciler: d.Reconciler}
}

// Actor is who acts: a user (UserID set), or a named tool such as the CLI.
type Actor struct {
	UserID int64
	Name   string // used when UserID is 0
}

// String is the actor as the audit trail names it.
func (a Actor) String() string {
	if a.UserID != 0 {
		return fmt.Sprintf("user:%d", a.UserID)
	}
	if a.Name == "" {
		return "system"
	}
	return a.Name
}

// Outcome is the answer to an action on one run.
type Outcome struct {
	// Run is the run acted on, as it is afterwards.
	Run *reckon.Run
	// Changed is false when the action had been taken already (or, for a
	// cancel, when the run had completed).
	Changed bool
	// Retry is the run a retry created or found; nil for other actions
	// and for a compose retry whose review is up to date.
	Retry *reckon.Run
	// Compose is a compose retry's result (queued, already_running,
	// up_to_date) and Review the up-to-date review; empty otherwise.
	Compose review.Result
	Review  *reckon.Review
}

// RetryAction is the action a retry of run needs of the caller's role: a
// restore is re-run by those who may restore, anything else by those who
// may compose.
func RetryAction(run *reckon.Run) access.Action {
	if run.Type == reckon.RunTypeRestoreExecute {
		return access.Restore
	}
	return access.Retry
}

// checkNote refuses a note that is too long or holds control characters.
func checkNote(note string) error {
	v := reckon.ValidationErrors{}
	switch {
	case utf8.RuneCountInString(note) > MaxNoteLength:
		v.Add("note", "operator.note_too_long", "max", MaxNoteLength)
	case !utf8.ValidString(note) || strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }):
		v.Add("note", "operator.note_invalid")
	}
	return v.Err()
}

// lockRun locks a run of the workspace; not found for another workspace's.
func lockRun(ctx context.Context, tx *store.Tx, workspaceID, runID int64) (*reckon.Run, error) {
	run, err := tx.LockRun(ctx, runID)
	if store.IsNotFound(err) || (err == nil && run.WorkspaceID != workspaceID) {
		return nil, access.NotFound("operation")
	}
	return run, err
}

// act checks an action's note and runs it in one transaction.
func (s *Service) act(ctx context.Context, workspaceID, runID int64, by Actor, note string,
	fn func(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, note string) (*Outcome, error)) (*Outcome, error) {
	if err := checkNote(note); err != nil {
		return nil, err
	}
	var out *Outcome
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		out, err = fn(ctx, tx, workspaceID, runID, by, note)
		return err
	})
	return out, err
}

// Retry retries a failed, blocked or cancelled run with a new run linked
// both ways (context.retry_of and context.retried_by). A compose run's
// retry composes the environment's newest evidence, with Compose's
// answer; a restore's re-applies the items it did not apply (see
// restore.Service.RetryTx); any other type gets a new run of the same
// inputs. A run retried already answers its retry with Changed false.
func (s *Service) Retry(ctx context.Context, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	return s.act(ctx, workspaceID, runID, by, note, s.retry)
}

func (s *Service) retry(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	run, err := lockRun(ctx, tx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	if run.Context.RetriedBy != 0 {
		retry, err := tx.Run(ctx, workspaceID, run.Context.RetriedBy)
		if err != nil {
			return nil, err
		}
		return &Outcome{Run: run, Retry: retry}, nil
	}
	if !ledger.Retryable(run) {
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, "operator.not_retryable", "outcome", string(run.Outcome))
	}
	if _, ok := s.ledger.Catalog().Lookup(run.Type); !ok {
		// A service's own run type: its process has the job to run it again.
		return nil, reckon.Errorf(reckon.CodeConflict, "operator.retry_type_elsewhere", "type", run.Type)
	}
	out := &Outcome{Run: run}
	switch run.Type {
	case reckon.RunTypeReviewCompose:
		res, err := s.reviews.ComposeTx(ctx, tx, run.Scope(), by.UserID)
		if err != nil {
			return nil, err
		}
		out.Compose, out.Retry, out.Review = res.Result, res.Run, res.Review
	case reckon.RunTypeRestoreExecute:
		started, err := s.restores.RetryTx(ctx, tx, run, by.UserID)
		if err != nil {
			return nil, err
		}
		out.Retry = started.Run
	default:
		// The run's inputs without what its first life recorded.
		in := run.Context
		in.Reconciliation, in.RetryOf, in.RetriedBy = nil, 0, 0
		out.Retry, _, err = s.ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: run.Scope(), Type: run.Type,
			Key: fmt.Sprintf("retry-of:%d", run.ID), Context: in, InitiatorUserID: by.UserID})
		if err != nil {
			return nil, err
		}
	}
	if out.Retry == nil {
		// An up-to-date review: nothing to run, nothing to link.
		return out, nil
	}
	if err := s.ledger.LinkRetry(ctx, tx, run, out.Retry, by.String(), note); err != nil {
		return nil, err
	}
	out.Changed = true
	return out, nil
}

// Cancel cancels a queued or running run and its queue job; a completed
// run is answered as it is with Changed false.
func (s *Service) Cancel(ctx context.Context, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	return s.act(ctx, workspaceID, runID, by, note, s.cancel)
}

func (s *Service) cancel(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	if _, err := lockRun(ctx, tx, workspaceID, runID); err != nil {
		return nil, err
	}
	run, changed, err := s.ledger.Cancel(ctx, tx, runID, by.String(), note)
	if err != nil {
		return nil, err
	}
	return &Outcome{Run: run, Changed: changed}, nil
}

// Acknowledge records that a failed or blocked run has been seen to: it
// leaves the attention counts. A second acknowledgement changes nothing.
func (s *Service) Acknowledge(ctx context.Context, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	return s.act(ctx, workspaceID, runID, by, note, s.acknowledge)
}

func (s *Service) acknowledge(ctx context.Context, tx *store.Tx, workspaceID, runID int64, by Actor, note string) (*Outcome, error) {
	run, err := lockRun(ctx, tx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	if !ledger.Acknowledgeable(run) {
		return nil, reckon.Errorf(reckon.CodeInvalidTransition, "operator.not_acknowledgeable", "outcome", string(run.Outcome))
	}
	run, changed, err := s.ledger.Acknowledge(ctx, tx, runID, by.String(), note)
	if err != nil {
		return nil, err
	}
	return &Outcome{Run: run, Changed: changed}, nil
}
