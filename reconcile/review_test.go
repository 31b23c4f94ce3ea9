package reconcile_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// composeRun imports a snapshot into scope and asks for its review: a queued
// compose run with the snapshot's fingerprint.
func (b *testBundle) composeRun(t *testing.T, svc *review.Service, scope reckon.Scope) *reckon.Run {
	t.Helper()
	ctx := context.Background()
	if _, _, err := evidence.NewService(b.db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: t0.Add(-time.Hour),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA", Severity: reckon.SeverityHigh, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Compose(ctx, scope, 0)
	if err != nil || res.Result != review.ResultQueued {
		t.Fatalf("compose: %+v %v", res, err)
	}
	return res.Run
}

// reviewRow writes a review of the run's fingerprint in scope with a status,
// linked to linkedRun (0 for none).
func (b *testBundle) reviewRow(t *testing.T, scope reckon.Scope, run *reckon.Run, linkedRun int64, status reckon.ReviewStatus) *reckon.Review {
	t.Helper()
	var v *reckon.Review
	b.tx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		v, err = tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope, EvidenceSnapshotID: run.Context.EvidenceSnapshotID,
			Fingerprint: run.Context.Fingerprint, OperationRunID: linkedRun})
		if err != nil || status == reckon.ReviewDraft {
			return err
		}
		now := tx.Now()
		v.Status, v.Content, v.ComposedAt = status, json.RawMessage(`{}`), &now
		return tx.UpdateReview(ctx, v)
	})
	return v
}

// The review adapter is the review package's shared resolver; these tests
// show the reconciler applying its decisions, proof at once and deadline
// rows only past the deadline, and never proving from another scope.
func TestReconcilerWithTheReviewAdapter(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		b.cat.RegisterAdapter(reckon.RunTypeReviewCompose, review.Adapter{})
		svc := review.NewService(review.Deps{DB: b.db, Ledger: b.ledger, Catalog: b.cat, Clock: b.clock.Now})
		deadline := b.deadlines().QueuedDeadline

		// A ready review linked to the run proves it at once.
		scope := b.fx.Scope()
		available := b.composeRun(t, svc, scope)
		v := b.reviewRow(t, scope, available, available.ID, reckon.ReviewReady)
		run, changed, err := b.rec.ReconcileRun(ctx, scope.WorkspaceID, available.ID, "user:1")
		if err != nil || !changed {
			t.Fatalf("available: changed=%v err=%v", changed, err)
		}
		run = wantSettled(t, b, run.ID, reckon.OutcomeSucceeded, reckon.SourceAdapter, review.ReasonAvailable)
		if ev := run.Context.Reconciliation.Evidence; ev.ReviewID != v.ID || ev.ReviewStatus != reckon.ReviewReady ||
			ev.Fingerprint != available.Context.Fingerprint || len(ev.ConsideredReviewIDs) != 1 {
			t.Fatalf("evidence %+v", ev)
		}

		// Two current reviews of the fingerprint: blocked at once.
		scope2 := b.fx.Scope()
		ambiguous := b.composeRun(t, svc, scope2)
		published := b.reviewRow(t, scope2, ambiguous, 0, reckon.ReviewReady)
		b.tx(t, func(ctx context.Context, tx *store.Tx) error {
			published.Status = reckon.ReviewPublished
			return tx.UpdateReview(ctx, published)
		})
		b.reviewRow(t, scope2, ambiguous, 0, reckon.ReviewReady)
		if _, changed, err := b.rec.ReconcileRun(ctx, scope2.WorkspaceID, ambiguous.ID, "user:1"); err != nil || !changed {
			t.Fatalf("ambiguous: changed=%v err=%v", changed, err)
		}
		wantSettled(t, b, ambiguous.ID, reckon.OutcomeBlocked, reckon.SourceAdapter, review.ReasonAmbiguous)

		// A draft linked to the run is no proof until the deadline passes.
		scope3 := b.fx.Scope()
		stalled := b.composeRun(t, svc, scope3)
		b.reviewRow(t, scope3, stalled, stalled.ID, reckon.ReviewDraft)
		// A ready review with the same fingerprint in another workspace
		// never counts.
		scope4 := b.fx.Scope()
		foreignRun := b.composeRun(t, svc, scope4)
		notProduced := b.composeRun(t, svc, b.fx.Scope())
		foreignRun.Context.Fingerprint = notProduced.Context.Fingerprint
		b.reviewRow(t, scope4, foreignRun, 0, reckon.ReviewReady)
		for _, r := range []*reckon.Run{stalled, notProduced} {
			if _, changed, err := b.rec.ReconcileRun(ctx, r.WorkspaceID, r.ID, "user:1"); err != nil || changed {
				t.Fatalf("run %d within its deadline: changed=%v err=%v", r.ID, changed, err)
			}
		}
		b.clock.Advance(deadline + time.Second)
		if res := b.sweep(t); res.Settled != 3 { // stalled, notProduced and the foreign run itself
			t.Fatalf("sweep %+v, want 3 settled", res)
		}
		wantSettled(t, b, stalled.ID, reckon.OutcomeFailed, reckon.SourceAdapter, review.ReasonComposeStalled)
		wantSettled(t, b, notProduced.ID, reckon.OutcomeFailed, reckon.SourceAdapter, review.ReasonNotProduced)
	})
}
