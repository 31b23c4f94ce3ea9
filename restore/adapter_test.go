package restore_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/store"
)

// finishRestore records a restore result directly, as an earlier job
// delivery would have before crashing.
func (b *testBundle) finishRestore(t *testing.T, rr *reckon.RestoreRun, status reckon.RestoreStatus, succeeded, failed int) {
	t.Helper()
	rr.Status, rr.ItemsSucceeded, rr.ItemsFailed = status, succeeded, failed
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) error { return tx.FinishRestore(context.Background(), rr) }); err != nil {
		t.Fatal(err)
	}
}

// bareRun creates a restore.execute run that has no restore row.
func (b *testBundle) bareRun(t *testing.T, scope reckon.Scope) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		run, _, err = ledger.New(b.cat, b.queue).Ensure(context.Background(), tx, &ledger.EnsureParams{
			Scope: scope, Type: reckon.RunTypeRestoreExecute, Key: "bare"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return run
}

func (b *testBundle) decide(t *testing.T, run *reckon.Run) reckon.Decision {
	t.Helper()
	var d reckon.Decision
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		run, err := tx.Run(context.Background(), run.WorkspaceID, run.ID)
		if err != nil {
			return err
		}
		d, err = restore.Adapter{}.Reconcile(context.Background(), tx, run, tx.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAdapterProvesFinishedRestores(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status            reckon.RestoreStatus
		succeeded, failed int
		outcome           reckon.Outcome
		reason            string
	}{
		{reckon.RestoreSucceeded, 3, 0, reckon.OutcomeSucceeded, restore.ReasonCompleted},
		{reckon.RestorePartiallySucceeded, 2, 1, reckon.OutcomePartiallySucceeded, restore.ReasonPartial},
		{reckon.RestoreFailed, 0, 3, reckon.OutcomeFailed, restore.ReasonFailed},
	}
	eachEngine(t, func(t *testing.T, b *testBundle) {
		for _, c := range cases {
			scope := b.fx.Scope()
			st := b.start(t, scope, "backup", items(valid, valid, valid))
			b.finishRestore(t, st.Restore, c.status, c.succeeded, c.failed)
			d := b.decide(t, st.Run)
			want := reckon.Evidence{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID,
				RunIDs: []int64{st.Run.ID}, RestoreRunID: st.Restore.ID, RestoreStatus: string(c.status),
				RestoreItems: &reckon.ItemCounts{Total: 3, Succeeded: c.succeeded, Failed: c.failed}}
			if d.Outcome != c.outcome || d.ReasonCode != c.reason || d.NeedsDeadline {
				t.Fatalf("%s: decision %+v, want %s/%s at once", c.status, d, c.outcome, c.reason)
			}
			if d.Evidence.RestoreRunID != want.RestoreRunID || d.Evidence.RestoreStatus != want.RestoreStatus ||
				*d.Evidence.RestoreItems != *want.RestoreItems || d.Evidence.WorkspaceID != want.WorkspaceID ||
				d.Evidence.EnvironmentID != want.EnvironmentID || len(d.Evidence.RunIDs) != 1 || d.Evidence.RunIDs[0] != st.Run.ID {
				t.Fatalf("%s: evidence %+v, want %+v", c.status, d.Evidence, want)
			}
		}
	})
}

func TestAdapterHasNoProofWhileTheRestoreIsUnfinished(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		st := b.start(t, scope, "backup", items(valid))
		if d := b.decide(t, st.Run); d.Settles() {
			t.Fatalf("pending restore: %+v, want no change", d)
		}
		// Running and past the deadline is still no proof: the generic
		// stale path decides, not the adapter.
		if err := b.db.InTx(context.Background(), func(tx *store.Tx) error { return tx.StartRestore(context.Background(), st.Restore.ID) }); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Hour)
		if d := b.decide(t, st.Run); d.Settles() {
			t.Fatalf("running restore past the deadline: %+v, want no change", d)
		}
	})
}

func TestAdapterMissingRestoreOnlyPastTheDeadline(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		run := b.bareRun(t, scope)
		if d := b.decide(t, run); d.Settles() {
			t.Fatalf("missing restore within the deadline: %+v, want no change", d)
		}
		b.clock.Advance(b.cat.MustLookup(reckon.RunTypeRestoreExecute).QueuedDeadline + time.Second)
		d := b.decide(t, run)
		if d.Outcome != reckon.OutcomeFailed || d.ReasonCode != restore.ReasonMissing || !d.NeedsDeadline ||
			d.Evidence.DeadlineAt == nil || !d.Evidence.DeadlineAt.Equal(run.DeadlineAt) || d.Evidence.RestoreRunID != 0 {
			t.Fatalf("missing restore past the deadline: %+v", d)
		}
	})
}

func TestAdapterNeverUsesAnotherScopesRestore(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		otherWorkspace := b.fx.Scope()
		otherEnvironment := reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: b.fx.Environment(&reckon.Workspace{ID: scope.WorkspaceID}).ID}
		for _, foreign := range []reckon.Scope{otherWorkspace, otherEnvironment} {
			run := b.bareRun(t, scope)
			// A finished, successful restore that names this run but lives in
			// another scope.
			rr := &reckon.RestoreRun{WorkspaceID: foreign.WorkspaceID, EnvironmentID: foreign.EnvironmentID,
				OperationRunID: run.ID, BackupRef: "backup"}
			if err := b.db.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.InsertRestore(context.Background(), rr, []*reckon.RestoreItem{{Key: "k", Payload: []byte(valid)}})
			}); err != nil {
				t.Fatal(err)
			}
			b.finishRestore(t, rr, reckon.RestoreSucceeded, 1, 0)
			if d := b.decide(t, run); d.Settles() {
				t.Fatalf("foreign restore %+v counted as proof: %+v", foreign, d)
			}
			b.clock.Advance(time.Hour)
			if d := b.decide(t, run); d.Outcome != reckon.OutcomeFailed || d.ReasonCode != restore.ReasonMissing {
				t.Fatalf("foreign restore %+v past the deadline: %+v, want failed %s", foreign, d, restore.ReasonMissing)
			}
			if err := b.db.InTx(context.Background(), func(tx *store.Tx) error {
				_, _, err := ledger.New(b.cat, b.queue).Complete(context.Background(), tx, run.ID,
					&ledger.Completion{Outcome: reckon.OutcomeCancelled, ReasonCode: "test.done"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
