package operator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// ambiguity is a compose run blocked because two current reviews carry its
// fingerprint: published, the review its evidence was composed to and then
// published, and twin, a ready copy an older system left.
type ambiguity struct {
	a               *app.App
	scope           reckon.Scope
	published, twin *reckon.Review
	blocked         *reckon.Run
	user            *reckon.User // a manager of the workspace
}

func newAmbiguity(t *testing.T, db *store.DB) *ambiguity {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx := reckontest.NewFixture(t, db)
	x := &ambiguity{a: a, scope: fx.Scope(), user: fx.User("x")}
	if _, _, err := evidence.NewService(db).Import(ctx, x.scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-1),
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
		Findings: []reckon.Finding{{ControlID: "MS.AAD.1.1", Title: "Legacy auth", Severity: "high", Status: "fail"}}}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Reviews.Compose(ctx, x.scope, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := deliver(ctx, review.NewWorker(a.Reviews, nil), res.Run.ID); err != nil {
		t.Fatal(err)
	}
	x.tx(t, func(tx *store.Tx) (err error) {
		x.published, err = tx.ReviewOfRun(ctx, x.scope.WorkspaceID, res.Run.ID)
		return err
	})
	if x.published, err = a.Reviews.Publish(ctx, x.scope.WorkspaceID, x.published.ID, 0); err != nil {
		t.Fatal(err)
	}
	x.twin = fx.ReadyTwin(x.published)
	var run *reckon.Run
	x.tx(t, func(tx *store.Tx) (err error) {
		run, _, err = a.Ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: x.scope, Type: reckon.RunTypeReviewCompose,
			Key: x.published.Fingerprint, Context: reckon.RunContext{Fingerprint: x.published.Fingerprint,
				EvidenceSnapshotID: x.published.EvidenceSnapshotID}})
		return err
	})
	if x.blocked, _, err = a.Reconciler.ReconcileRun(ctx, x.scope.WorkspaceID, run.ID, "reconciler"); err != nil {
		t.Fatal(err)
	}
	if !review.Ambiguous(x.blocked) {
		t.Fatalf("the run is not blocked as ambiguous: %+v", x.blocked.Context.Reconciliation)
	}
	return x
}

func (x *ambiguity) tx(t *testing.T, fn func(tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, x.a.DB, func(_ context.Context, tx *store.Tx) error { return fn(tx) })
}

func (x *ambiguity) review(t *testing.T, id int64) *reckon.Review {
	t.Helper()
	var v *reckon.Review
	x.tx(t, func(tx *store.Tx) (err error) {
		v, err = tx.Review(context.Background(), x.scope.WorkspaceID, id)
		return err
	})
	return v
}

// audit lists the audit events of a subject as "action actor note".
func (x *ambiguity) audit(t *testing.T, subject string, id int64) []string {
	t.Helper()
	return reckontest.AuditTrail(t, x.a.DB, x.scope.WorkspaceID, subject, id)
}

// Resolving keeps the chosen review (published on request), archives the
// published competitor, and records the truth in a new run linked both
// ways, settled through the reconciler with the kept review and the actor
// in its evidence; the blocked run stays blocked. Repeating it changes
// nothing; nothing is audited twice.
func TestResolveKeepsOneReviewAndRecordsTheTruth(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newAmbiguity(t, db)
		by := operator.Actor{UserID: x.user.ID}
		actor := fmt.Sprintf("user:%d", x.user.ID)
		blockedAudit := x.audit(t, "operation_run", x.blocked.ID)

		out, err := x.a.Operator.Resolve(ctx, x.scope.WorkspaceID, x.blocked.ID, by,
			operator.ResolveParams{KeepReviewID: x.twin.ID, Publish: true, Note: "the migrated copy is right"})
		if err != nil {
			t.Fatal(err)
		}
		if !out.Changed || out.Review.ID != x.twin.ID || out.Review.Status != reckon.ReviewPublished {
			t.Fatalf("resolve: %+v", out)
		}
		if v := x.review(t, x.published.ID); v.Status != reckon.ReviewArchived || v.ArchivedAt == nil {
			t.Fatalf("the published competitor is %s, want archived", v.Status)
		}
		if v := x.review(t, x.twin.ID); v.Status != reckon.ReviewPublished || v.PublishedAt == nil {
			t.Fatalf("the kept review is %s, want published", v.Status)
		}
		// The blocked run keeps its outcome and names its resolution.
		blocked := reckontest.Run(t, db, x.scope.WorkspaceID, x.blocked.ID)
		if blocked.Outcome != reckon.OutcomeBlocked || blocked.Context.RetriedBy != out.Retry.ID {
			t.Fatalf("the blocked run after resolving: %s, retried by %d", blocked.Outcome, blocked.Context.RetriedBy)
		}
		// The resolution: a succeeded compose run of the same evidence,
		// settled by the operator through the reconciler's reading.
		res := reckontest.Run(t, db, x.scope.WorkspaceID, out.Retry.ID)
		rec := res.Context.Reconciliation
		if res.Status != reckon.RunCompleted || res.Outcome != reckon.OutcomeSucceeded || res.Type != reckon.RunTypeReviewCompose ||
			res.Context.RetryOf != x.blocked.ID || res.Context.Fingerprint != x.blocked.Context.Fingerprint ||
			res.Context.EvidenceSnapshotID != x.blocked.Context.EvidenceSnapshotID || res.InitiatorUserID != x.user.ID {
			t.Fatalf("the resolution run: %+v", res)
		}
		if rec == nil || rec.Source != reckon.SourceOperator || rec.Adapter != review.AdapterName ||
			rec.ReasonCode != review.ReasonAmbiguityResolved || rec.Decision != reckon.OutcomeSucceeded ||
			rec.Evidence.ReviewID != x.twin.ID || rec.Evidence.ReviewStatus != reckon.ReviewPublished ||
			rec.Evidence.ResolvedBy != actor || !slices.Equal(rec.Evidence.RunIDs, []int64{x.blocked.ID}) ||
			!slices.Equal(rec.Evidence.ConsideredReviewIDs, []int64{x.published.ID, x.twin.ID}) {
			t.Fatalf("the resolution's reconciliation: %+v", rec)
		}
		if operator.ResolutionOf(res) != x.twin.ID {
			t.Fatalf("ResolutionOf = %d", operator.ResolutionOf(res))
		}
		// Its job has nothing to do and is cancelled with it.
		x.tx(t, func(tx *store.Tx) error {
			job, err := x.a.Queue.JobTx(ctx, tx, res.JobID)
			if err == nil && job.State != "cancelled" {
				t.Errorf("the resolution's job is %s", job.State)
			}
			return err
		})
		// One audit event each: the blocked run's resolution, the new
		// run's completion, each review's change.
		if got, want := x.audit(t, "operation_run", x.blocked.ID), append(blockedAudit, "run.resolved "+actor+" the migrated copy is right"); !slices.Equal(got, want) {
			t.Fatalf("audit of the blocked run: %q, want %q", got, want)
		}
		if got := x.audit(t, "operation_run", res.ID); !slices.Equal(got, []string{"run.completed " + actor + " the migrated copy is right"}) {
			t.Fatalf("audit of the resolution: %q", got)
		}
		if got := x.audit(t, "environment_review", x.twin.ID); !slices.Equal(got, []string{"review.published " + actor + " "}) {
			t.Fatalf("audit of the kept review: %q", got)
		}
		if got := x.audit(t, "environment_review", x.published.ID); got[len(got)-1] != "review.archived "+actor+" " {
			t.Fatalf("audit of the archived review: %q", got)
		}
		// The blocked run no longer needs attention: a later compose of
		// its environment succeeded.
		x.tx(t, func(tx *store.Tx) error {
			a, err := tx.RunAttentionOf(ctx, x.scope, tx.Now())
			if err == nil && a.Blocked != 0 {
				t.Errorf("attention after resolving: %+v", a)
			}
			return err
		})

		// Again: the same answer, nothing new.
		counts := func() int64 {
			var n int64
			x.tx(t, func(tx *store.Tx) (err error) {
				n, err = tx.CountAuditEvents(ctx)
				return err
			})
			return n
		}
		before := counts()
		again, err := x.a.Operator.Resolve(ctx, x.scope.WorkspaceID, x.blocked.ID, by,
			operator.ResolveParams{KeepReviewID: x.twin.ID, Publish: true})
		if err != nil || again.Changed || again.Retry.ID != res.ID || again.Review.ID != x.twin.ID {
			t.Fatalf("second resolve: %+v, %v", again, err)
		}
		// Keeping another review now is refused.
		_, err = x.a.Operator.Resolve(ctx, x.scope.WorkspaceID, x.blocked.ID, by, operator.ResolveParams{KeepReviewID: x.published.ID})
		if reckon.ErrorCodeOf(err) != reckon.CodeInvalidTransition {
			t.Fatalf("resolve keeping another review: %v", err)
		}
		// A sweep finds nothing to do either.
		if _, err := x.a.Reconciler.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if after := counts(); after != before {
			t.Fatalf("repeating wrote %d audit events", after-before)
		}

		// The timelines tell it: who resolved it, with what, and why.
		tl, err := x.a.Operator.Events(ctx, x.scope.WorkspaceID, x.blocked.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := tl.Events[len(tl.Events)-1]
		if last.Kind != operator.EventResolved || last.Actor != actor || last.RunID != res.ID ||
			last.ReviewID != x.twin.ID || last.Note != "the migrated copy is right" || tl.Links.RetriedBy != res.ID {
			t.Fatalf("the blocked run's timeline ends %+v", last)
		}
		tl, err = x.a.Operator.Events(ctx, x.scope.WorkspaceID, res.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl.Events {
			kinds = append(kinds, e.Kind)
		}
		last = tl.Events[len(tl.Events)-1]
		if fmt.Sprint(kinds) != fmt.Sprint([]string{operator.EventCreated, operator.EventReconciled}) ||
			last.Source != reckon.SourceOperator || last.Actor != actor || tl.Links.RetryOf != x.blocked.ID {
			t.Fatalf("the resolution's timeline: %v %+v", kinds, last)
		}
	})
}

// Keeping the published review without publishing supersedes the ready
// competitor by it.
func TestResolveKeepingThePublishedReviewSupersedesTheReadyOne(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		x := newAmbiguity(t, db)
		out, err := x.a.Operator.Resolve(context.Background(), x.scope.WorkspaceID, x.blocked.ID, operator.Actor{Name: "cli"},
			operator.ResolveParams{KeepReviewID: x.published.ID})
		if err != nil {
			t.Fatal(err)
		}
		if out.Review.Status != reckon.ReviewPublished {
			t.Fatalf("kept review: %s", out.Review.Status)
		}
		if v := x.review(t, x.twin.ID); v.Status != reckon.ReviewSuperseded || v.SupersededByReviewID != x.published.ID {
			t.Fatalf("the ready competitor: %s, superseded by %d", v.Status, v.SupersededByReviewID)
		}
		if got := x.audit(t, "environment_review", x.twin.ID); !slices.Equal(got, []string{"review.superseded cli "}) {
			t.Fatalf("audit of the superseded review: %q", got)
		}
		if rec := out.Retry.Context.Reconciliation; rec.Evidence.ResolvedBy != "cli" || rec.Evidence.ReviewID != x.published.ID {
			t.Fatalf("resolution evidence: %+v", rec.Evidence)
		}
	})
}

// What is not an ambiguity, a review that is not a competitor, and a run
// of another workspace are refused, and nothing changes.
func TestResolveRefusals(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		x := newAmbiguity(t, db)
		by := operator.Actor{Name: "test"}
		other := reckontest.NewFixture(t, db).Scope()
		for _, c := range []struct {
			name  string
			ws    int64
			run   int64
			keep  int64
			code  reckon.ErrorCode
			field string
		}{
			{"a run of another workspace", other.WorkspaceID, x.blocked.ID, x.twin.ID, reckon.CodeNotFound, ""},
			{"a missing run", x.scope.WorkspaceID, 1 << 40, x.twin.ID, reckon.CodeNotFound, ""},
			{"a run that is not an ambiguity", x.scope.WorkspaceID, x.published.OperationRunID, x.twin.ID, reckon.CodeInvalidTransition, ""},
			{"a review that is no competitor", x.scope.WorkspaceID, x.blocked.ID, 1 << 40, reckon.CodeValidation, "keep_review_id"},
		} {
			_, err := x.a.Operator.Resolve(ctx, c.ws, c.run, by, operator.ResolveParams{KeepReviewID: c.keep, Publish: true})
			if reckon.ErrorCodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			var coded *reckon.Error
			if c.field != "" && (!errors.As(err, &coded) || coded.Fields[c.field].Key == "") {
				t.Errorf("%s: no message on %s: %v", c.name, c.field, err)
			}
		}
		if v := x.review(t, x.twin.ID); v.Status != reckon.ReviewReady {
			t.Fatalf("a refused resolve changed the twin: %s", v.Status)
		}
		if run := reckontest.Run(t, db, x.scope.WorkspaceID, x.blocked.ID); run.Context.RetriedBy != 0 {
			t.Fatalf("a refused resolve linked a run: %d", run.Context.RetriedBy)
		}
		// A blocked run retried before — newer evidence has come, and the
		// retry composes it — cannot be resolved as well.
		if _, _, err := evidence.NewService(db).Import(ctx, x.scope, reckon.SnapshotInput{CapturedAt: db.Now(),
			Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
			Findings: []reckon.Finding{{ControlID: "MS.AAD.1.1", Title: "Legacy auth", Severity: "high", Status: "pass"}}}); err != nil {
			t.Fatal(err)
		}
		retry, err := x.a.Operator.Retry(ctx, x.scope.WorkspaceID, x.blocked.ID, by, "")
		if err != nil || retry.Compose != review.ResultQueued {
			t.Fatalf("retry: %+v, %v", retry, err)
		}
		_, err = x.a.Operator.Resolve(ctx, x.scope.WorkspaceID, x.blocked.ID, by, operator.ResolveParams{KeepReviewID: x.twin.ID})
		if reckon.ErrorCodeOf(err) != reckon.CodeInvalidTransition {
			t.Fatalf("resolve of a retried run: %v", err)
		}
	})
}
