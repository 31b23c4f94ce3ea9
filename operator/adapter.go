package operator

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// ReasonBulkInterrupted: a bulk run stopped past its deadline after acting
// on some of its runs; what it did stays done.
const ReasonBulkInterrupted = "operations.bulk_interrupted"

// Adapter proves a bulk run's truth from the progress the ledger recorded
// in its summary: every matched run handled is success, proven at once;
// some handled is a partial success once the run is past its deadline;
// none handled is left to the generic stale path. It implements
// catalog.Adapter.
type Adapter struct{}

// Name implements catalog.Adapter.
func (Adapter) Name() string { return string(reckon.RunTypeBulk) }

// Reconcile implements catalog.Adapter.
func (Adapter) Reconcile(_ context.Context, _ *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	var sum BulkSummary
	if run.Summary != nil {
		if err := json.Unmarshal(run.Summary, &sum); err != nil {
			return reckon.Decision{}, err
		}
	}
	ev := run.Evidence()
	ev.JobID = run.JobID
	switch {
	case sum.Matched > 0 && sum.Done >= sum.Matched:
		return reckon.Decision{Outcome: reckon.OutcomeSucceeded, ReasonCode: ReasonBulkCompleted, Evidence: ev}, nil
	case sum.Done > 0 && run.PastDeadline(now):
		deadline := run.DeadlineAt
		ev.DeadlineAt = &deadline
		return reckon.Decision{Outcome: reckon.OutcomePartiallySucceeded, ReasonCode: ReasonBulkInterrupted,
			Evidence: ev, NeedsDeadline: true}, nil
	}
	return reckon.Decision{}, nil
}

// ReasonBulkCompleted: a bulk run's summary shows every matched run handled.
const ReasonBulkCompleted = "operations.bulk_completed"
