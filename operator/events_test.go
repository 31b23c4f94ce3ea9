package operator_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A run settled while its job still waits in the queue: when the queue
// delivers the job later, the job finds nothing to do, and the timeline
// says that delivery came after the end instead of showing it as the
// run's attempt.
func TestTimelineShowsADeliveryAfterTheEnd(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.New(db, &app.Options{Work: true, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		scope := reckontest.NewFixture(t, db).Scope()
		if _, _, err := evidence.NewService(db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-time.Minute),
			Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}, Findings: reckontest.Findings()}); err != nil {
			t.Fatal(err)
		}
		res, err := a.Reviews.Compose(ctx, scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Settled before any worker ran: the queue still holds its job.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := a.Ledger.Complete(ctx, tx, res.Run.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed,
				ReasonCode: "run.stale_queued", Actor: "reconciler"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := a.Queue.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Queue.Stop(stop)
		})
		var tl *operator.Timeline
		for deadline := time.Now().Add(20 * time.Second); ; {
			if tl, err = a.Operator.Events(ctx, scope.WorkspaceID, res.Run.ID); err != nil {
				t.Fatal(err)
			}
			if tl.Links.JobState == "completed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the job was not worked: state %q", tl.Links.JobState)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var late int
		for _, e := range tl.Events {
			switch e.Kind {
			case operator.EventLateDelivery:
				late++
				if e.Attempt != 1 || !e.At.After(*tl.Run.CompletedAt) {
					t.Errorf("late delivery %+v, run completed at %v", e, tl.Run.CompletedAt)
				}
			case operator.EventAttemptStart, operator.EventStarted:
				t.Errorf("the run never started, yet the timeline has %+v", e)
			}
		}
		if late != 1 {
			t.Fatalf("%d late deliveries in %+v", late, tl.Events)
		}
	})
}
