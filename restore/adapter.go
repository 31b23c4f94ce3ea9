package restore

import (
	"context"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Adapter proves a restore.execute run's truth from its restore_runs row in
// the run's own workspace and environment. It implements catalog.Adapter.
type Adapter struct{}

// Name implements catalog.Adapter.
func (Adapter) Name() string { return string(reckon.RunTypeRestoreExecute) }

// Reconcile implements catalog.Adapter. A finished restore decides the run
// at once; a restore still pending or running is no proof either way; a
// missing restore fails the run, but only once the run is past its deadline.
func (Adapter) Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	ev := run.Evidence()
	rr, err := tx.RestoreByRun(ctx, run.Scope(), run.ID)
	if store.IsNotFound(err) {
		if !run.PastDeadline(now) {
			return reckon.Decision{}, nil
		}
		deadline := run.DeadlineAt
		ev.DeadlineAt = &deadline
		return reckon.Decision{Outcome: reckon.OutcomeFailed, ReasonCode: ReasonMissing, Evidence: ev, NeedsDeadline: true}, nil
	}
	if err != nil {
		return reckon.Decision{}, err
	}
	outcome, reason, ok := outcomeFor(rr.Status)
	if !ok {
		return reckon.Decision{}, nil
	}
	ev.RestoreRunID = rr.ID
	ev.RestoreStatus = string(rr.Status)
	ev.RestoreItems = counts(rr)
	return reckon.Decision{Outcome: outcome, ReasonCode: reason, Evidence: ev}, nil
}
