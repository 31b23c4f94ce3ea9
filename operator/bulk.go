package operator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// BulkAction is what a bulk request does to each run it matches.
type BulkAction string

// Bulk actions.
const (
	BulkRetry       BulkAction = "retry"
	BulkReconcile   BulkAction = "reconcile"
	BulkAcknowledge BulkAction = "acknowledge"
	BulkCancel      BulkAction = "cancel"
)

// Need is the action a bulk action needs of the caller's role.
func (a BulkAction) Need() (access.Action, bool) {
	switch a {
	case BulkRetry:
		return access.Retry, true
	case BulkReconcile:
		return access.ReconcileNow, true
	case BulkAcknowledge:
		return access.Acknowledge, true
	case BulkCancel:
		return access.Cancel, true
	}
	return "", false
}

// BulkSyncLimit is the most runs a bulk request acts on while the caller
// waits; more run as one bulk run on the queue, with progress.
const BulkSyncLimit = 100

// bulkPage is how many runs a bulk pass reads at a time.
const bulkPage = 100

// BulkSummary counts what a bulk request did: every matched run was changed
// or skipped (already in the wanted state, or not eligible).
type BulkSummary struct {
	Matched int64 `json:"matched"`
	Changed int64 `json:"changed"`
	Skipped int64 `json:"skipped"`
	// Done counts the runs handled so far, and LastID is the keyset
	// position: a redelivered bulk job resumes after it.
	Done   int64 `json:"done"`
	LastID int64 `json:"last_id,omitempty"`
}

// BulkOutcome answers a bulk request: its counts when it ran at once, or
// the bulk run that works through a large set.
type BulkOutcome struct {
	Summary *BulkSummary
	Run     *reckon.Run
}

// BulkParams describe a bulk request. Filter is the caller's list filter,
// already narrowed by their grant (access.Grant.RunFilter).
type BulkParams struct {
	WorkspaceID int64
	Action      BulkAction
	Filter      store.RunFilter
	Note        string
	By          Actor
	// MayRestore says whether the caller may retry restores; restore runs
	// are skipped by a bulk retry otherwise.
	MayRestore bool
}

// Bulk acts on every run the filter matches — not a page of them. Up to
// BulkSyncLimit runs are handled at once, each in its own transaction and
// audited as a single action would be; a larger set becomes one bulk run
// whose summary shows its progress.
func (s *Service) Bulk(ctx context.Context, p *BulkParams) (*BulkOutcome, error) {
	if _, ok := p.Action.Need(); !ok {
		v := reckon.ValidationErrors{}
		v.Add("action", "operator.bulk_action", "allowed", "retry, reconcile, acknowledge, cancel")
		return nil, v.Err()
	}
	if err := checkNote(p.Note); err != nil {
		return nil, err
	}
	f := p.Filter
	// A bulk run is never acted on by a bulk action, its own or another.
	f.WorkspaceID, f.AllWorkspaces, f.BeforeID, f.Limit, f.NotType = p.WorkspaceID, false, 0, 0, reckon.RunTypeBulk
	var matched int64
	if err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		matched, err = tx.CountMatchingRuns(ctx, &f, BulkSyncLimit+1)
		return err
	}); err != nil {
		return nil, err
	}
	if matched > BulkSyncLimit {
		run, err := s.startBulk(ctx, p, f)
		if err != nil {
			return nil, err
		}
		return &BulkOutcome{Run: run}, nil
	}
	sum := &BulkSummary{Matched: matched}
	req := &reckon.BulkRequest{Action: string(p.Action), Note: p.Note, UserID: p.By.UserID, MayRestore: p.MayRestore}
	if err := s.bulkPass(ctx, req, p.By, f, sum, nil); err != nil {
		return nil, err
	}
	// What the pass handled: runs that arrived after the count are newer
	// than its first page and left out, runs that went are not counted.
	sum.Matched = sum.Done
	return &BulkOutcome{Summary: sum}, nil
}

// startBulk creates the bulk run of a large request. The same request while
// its run is active answers that run.
func (s *Service) startBulk(ctx context.Context, p *BulkParams, f store.RunFilter) (*reckon.Run, error) {
	filter, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	req := &reckon.BulkRequest{Action: string(p.Action), Filter: filter, Note: p.Note, UserID: p.By.UserID, MayRestore: p.MayRestore}
	key, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	run, _, err := s.ledger.Trigger(ctx, s.db, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: p.WorkspaceID},
		Type: reckon.RunTypeBulk, Key: string(key), Context: reckon.RunContext{Bulk: req}, InitiatorUserID: p.By.UserID})
	return run, err
}

// bulkPass works through the filter's runs newest first, after sum.LastID
// when resuming. progress, when set, is called after each page.
func (s *Service) bulkPass(ctx context.Context, req *reckon.BulkRequest, by Actor, f store.RunFilter, sum *BulkSummary,
	progress func(*BulkSummary) error) error {
	f.Limit = bulkPage
	for {
		f.BeforeID = sum.LastID
		var runs []*reckon.Run
		if err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
			runs, err = tx.ListRuns(ctx, &f)
			return err
		}); err != nil {
			return err
		}
		for _, run := range runs {
			changed, err := s.bulkOne(ctx, req, by, run)
			if err != nil {
				return fmt.Errorf("operator: bulk %s on run %d: %w", req.Action, run.ID, err)
			}
			if changed {
				sum.Changed++
			} else {
				sum.Skipped++
			}
			sum.Done++
			sum.LastID = run.ID
		}
		if progress != nil {
			if err := progress(sum); err != nil {
				return err
			}
		}
		if len(runs) < bulkPage {
			return nil
		}
	}
}

// bulkOne applies a bulk action to one run. A run the action does not
// apply to is skipped, not an error: a filter matches what it matches.
func (s *Service) bulkOne(ctx context.Context, req *reckon.BulkRequest, by Actor, run *reckon.Run) (bool, error) {
	var (
		out *Outcome
		err error
	)
	switch BulkAction(req.Action) {
	case BulkRetry:
		if RetryAction(run) == access.Restore && !req.MayRestore {
			return false, nil
		}
		out, err = s.Retry(ctx, run.WorkspaceID, run.ID, by, req.Note)
	case BulkAcknowledge:
		out, err = s.Acknowledge(ctx, run.WorkspaceID, run.ID, by, req.Note)
	case BulkCancel:
		out, err = s.Cancel(ctx, run.WorkspaceID, run.ID, by, req.Note)
	case BulkReconcile:
		_, changed, err := s.reconciler.ReconcileRun(ctx, run.WorkspaceID, run.ID, by.String())
		return changed, skippable(err)
	default:
		return false, fmt.Errorf("unknown bulk action %q", req.Action)
	}
	if err != nil {
		return false, skippable(err)
	}
	return out.Changed, nil
}

// skippable drops the errors that mean the action does not apply to a run
// (wrong state, nothing to retry, gone meanwhile).
func skippable(err error) error {
	switch reckon.ErrorCodeOf(err) {
	case reckon.CodeInvalidTransition, reckon.CodeNotFound, reckon.CodeNoEvidence, reckon.CodeConflict:
		return nil
	}
	return err
}
