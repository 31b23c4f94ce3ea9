package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func (b *testBundle) reconcile(t testing.TB, id int64, rec reckon.Reconciliation) (*reckon.Run, bool) {
	t.Helper()
	var run *reckon.Run
	var changed bool
	b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		run, changed, err = b.ledger.UpdateWithReconciliation(ctx, tx, id, rec, "reconciler")
		return err
	})
	return run, changed
}

func TestReconciliationRoundTrips(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:abc")
		deadline := time.Date(2026, 11, 28, 9, 45, 0, 0, time.UTC)
		// Every field set, nanoseconds included: nothing may be dropped,
		// rounded or reordered on the way through either engine.
		rec := reckon.Reconciliation{
			Source:       reckon.SourceAdapter,
			Adapter:      string(reckon.RunTypeReviewCompose),
			Decision:     reckon.OutcomeSucceeded,
			ReasonCode:   "review.available",
			ReconciledAt: time.Date(2026, 11, 28, 10, 0, 0, 123456789, time.UTC),
			Evidence: reckon.Evidence{
				WorkspaceID:         scope.WorkspaceID,
				EnvironmentID:       scope.EnvironmentID,
				ReviewID:            10,
				ReviewStatus:        reckon.ReviewReady,
				Fingerprint:         "sha256:abc",
				ConsideredReviewIDs: []int64{10, 11},
				RunIDs:              []int64{run.ID, run.ID + 1},
				RestoreRunID:        3,
				RestoreStatus:       "succeeded",
				JobID:               run.JobID,
				DeadlineAt:          &deadline,
			},
		}
		settled, changed := b.reconcile(t, run.ID, rec)
		if !changed {
			t.Fatal("reconciliation did not settle the run")
		}
		stored := b.run(t, scope.WorkspaceID, run.ID)
		for name, got := range map[string]*reckon.Run{"returned": settled, "stored": stored} {
			if !reflect.DeepEqual(got.Context.Reconciliation, &rec) {
				t.Errorf("%s reconciliation\n got %+v\nwant %+v", name, got.Context.Reconciliation, &rec)
			}
			if got.Outcome != reckon.OutcomeSucceeded || got.Failure != nil ||
				got.Context.Fingerprint != "sha256:abc" || got.Context.EvidenceSnapshotID != 7 {
				t.Errorf("%s run %+v", name, got)
			}
		}

		events := b.auditEvents(t, run.ID)
		if len(events) != 1 || events[0].Actor != "reconciler" {
			t.Fatalf("audit trail %+v, want one event by the reconciler", events)
		}
		var meta struct {
			Outcome    reckon.Outcome         `json:"outcome"`
			ReasonCode string                 `json:"reason_code"`
			Source     reckon.ReconcileSource `json:"source"`
			Evidence   reckon.Evidence        `json:"evidence"`
		}
		if err := json.Unmarshal(events[0].Metadata, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Outcome != rec.Decision || meta.ReasonCode != rec.ReasonCode || meta.Source != rec.Source ||
			!reflect.DeepEqual(meta.Evidence, rec.Evidence) {
			t.Fatalf("audit metadata %+v does not record the reconciliation %+v", meta, rec)
		}
	})
}

func TestReconciliationFillsScopeAndTime(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	eachEngineWithClock(t, clock, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:abc")
		clock.Advance(time.Hour)
		settled, _ := b.reconcile(t, run.ID, reckon.Reconciliation{Source: reckon.SourceLifecycle,
			Decision: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleQueued})
		got := b.run(t, scope.WorkspaceID, run.ID).Context.Reconciliation
		want := &reckon.Reconciliation{Source: reckon.SourceLifecycle, Decision: reckon.OutcomeFailed,
			ReasonCode: reckon.ReasonStaleQueued, ReconciledAt: clock.Now(),
			Evidence: reckon.Evidence{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID}}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(settled.Context.Reconciliation, want) {
			t.Fatalf("reconciliation\n got %+v\nwant %+v", got, want)
		}
		if settled.Failure == nil || settled.Failure.ReasonCode != reckon.ReasonStaleQueued {
			t.Fatalf("failure %+v, want %s", settled.Failure, reckon.ReasonStaleQueued)
		}

		// A time in another zone is stored as the same instant in UTC.
		other, _ := b.ensure(t, scope, "sha256:def")
		berlin := time.Date(2026, 11, 28, 12, 0, 0, 0, time.FixedZone("CET", 3600))
		b.reconcile(t, other.ID, reckon.Reconciliation{Source: reckon.SourceOperator,
			Decision: reckon.OutcomeCancelled, ReasonCode: "run.cancelled", ReconciledAt: berlin})
		at := b.run(t, scope.WorkspaceID, other.ID).Context.Reconciliation.ReconciledAt
		if !reflect.DeepEqual(at, berlin.UTC()) {
			t.Fatalf("reconciled_at %v, want %v", at, berlin.UTC())
		}
	})
}

func TestRunsAreScopedToTheirWorkspace(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		a, other := b.fx.Scope(), b.fx.Scope()
		runA, _ := b.ensure(t, a, "sha256:same")
		runB, created := b.ensure(t, other, "sha256:same")
		if !created || runB.ID == runA.ID || runB.IdentityHash == runA.IdentityHash {
			t.Fatalf("one key in two workspaces: runs %d and %d (created=%v), want two identities", runA.ID, runB.ID, created)
		}
		b.inTx(t, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Run(ctx, other.WorkspaceID, runA.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("run of A through B: %v, want ErrNotFound", err)
			}
			if _, err := tx.ActiveRunByIdentity(ctx, other.WorkspaceID, runA.Type, runA.IdentityHash); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("active run of A through B: %v, want ErrNotFound", err)
			}
			return nil
		})
		b.complete(t, runA.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded})
		if got := b.run(t, other.WorkspaceID, runB.ID); got.Status != reckon.RunQueued {
			t.Fatalf("completing A's run touched B's: %+v", got)
		}
		if got := b.counts(t, other.WorkspaceID); got.runs != 1 || got.notifications != 0 {
			t.Fatalf("workspace B holds %+v", got)
		}
	})
}
