package review_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

func TestLifecycle(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		scope := b.fx.Scope()
		user := b.fx.User("x")
		snap := b.importSnapshot(t, scope, time.Now(), reckontest.Findings())
		put := func(status reckon.ReviewStatus) *reckon.Review {
			return b.putReview(t, scope, snap.ID, fmt.Sprintf("sha256:%s-%d", status, time.Now().UnixNano()), 0, status)
		}
		r1, r2 := put(reckon.ReviewReady), put(reckon.ReviewReady)

		p1, err := b.svc.Publish(ctx, scope.WorkspaceID, r1.ID, user.ID)
		if err != nil || p1.Status != reckon.ReviewPublished || p1.PublishedAt == nil {
			t.Fatalf("publish: %+v %v", p1, err)
		}
		// Publishing another archives the one published before.
		if _, err := b.svc.Publish(ctx, scope.WorkspaceID, r2.ID, user.ID); err != nil {
			t.Fatal(err)
		}
		r1, _ = b.svc.Review(ctx, scope.WorkspaceID, r1.ID)
		if r1.Status != reckon.ReviewArchived || r1.ArchivedAt == nil || len(r1.Content) == 0 {
			t.Fatalf("previously published: %s", describe(r1))
		}
		a2, err := b.svc.Archive(ctx, scope.WorkspaceID, r2.ID, user.ID)
		if err != nil || a2.Status != reckon.ReviewArchived {
			t.Fatalf("archive: %+v %v", a2, err)
		}
		var events []*store.AuditEvent
		_ = db.InTx(ctx, func(tx *store.Tx) (err error) {
			events, err = tx.AuditEvents(ctx, scope.WorkspaceID, "environment_review", r2.ID)
			return err
		})
		if len(events) != 2 || events[0].Action != "review.published" || events[1].Action != "review.archived" ||
			events[0].Actor != fmt.Sprintf("user:%d", user.ID) {
			t.Errorf("audit trail of review %d: %d events", r2.ID, len(events))
		}

		// Invalid transitions are typed errors and change nothing.
		for _, tc := range []struct {
			from reckon.ReviewStatus
			op   func(ctx context.Context, ws, id, user int64) (*reckon.Review, error)
		}{
			{reckon.ReviewDraft, b.svc.Publish}, {reckon.ReviewFailed, b.svc.Publish},
			{reckon.ReviewSuperseded, b.svc.Publish}, {reckon.ReviewArchived, b.svc.Publish},
			{reckon.ReviewReady, b.svc.Archive}, {reckon.ReviewDraft, b.svc.Archive},
		} {
			v := put(tc.from)
			if _, err := tc.op(ctx, scope.WorkspaceID, v.ID, user.ID); codedErr(t, err).Code != reckon.CodeInvalidTransition {
				t.Errorf("from %s: %v", tc.from, err)
			}
			if got, _ := b.svc.Review(ctx, scope.WorkspaceID, v.ID); got.Status != tc.from {
				t.Errorf("a refused transition moved %s to %s", tc.from, got.Status)
			}
		}
		other := b.fx.Scope()
		if _, err := b.svc.Publish(ctx, other.WorkspaceID, r1.ID, user.ID); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("review of another workspace: %v", err)
		}
		if _, err := b.svc.Review(ctx, other.WorkspaceID, r1.ID); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("read of another workspace's review: %v", err)
		}
		if _, err := b.svc.LatestReview(ctx, other); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("latest review of an environment without reviews: %v", err)
		}
	})
}

func TestReviewLists(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		w := b.fx.Workspace()
		envA, envB := b.fx.Environment(w), b.fx.Environment(w)
		scopeA := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: envA.ID}
		scopeB := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: envB.ID}
		snapA := b.importSnapshot(t, scopeA, time.Now(), reckontest.Findings())
		snapB := b.importSnapshot(t, scopeB, time.Now(), reckontest.Findings())
		var ids []int64
		for i := range 5 {
			ids = append(ids, b.putReview(t, scopeA, snapA.ID, fmt.Sprintf("sha256:a%d", i), 0, reckon.ReviewReady).ID)
		}
		b.putReview(t, scopeB, snapB.ID, "sha256:b", 0, reckon.ReviewFailed)
		b.fx.Scope() // another workspace's rows never show
		all, next, err := b.svc.Reviews(ctx, w.ID, review.ReviewFilter{})
		if err != nil || len(all) != 6 || next != 0 || all[0].Status != reckon.ReviewFailed || all[0].Content != nil {
			t.Fatalf("all: %d %d %v", len(all), next, err)
		}
		page, next, err := b.svc.Reviews(ctx, w.ID, review.ReviewFilter{EnvironmentID: envA.ID, Page: reckon.Page{Limit: 2}})
		if err != nil || len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] || next != ids[3] {
			t.Fatalf("page 1: %v %d %v", page, next, err)
		}
		page, next, err = b.svc.Reviews(ctx, w.ID, review.ReviewFilter{EnvironmentID: envA.ID, Page: reckon.Page{Limit: 2, Cursor: next}})
		if err != nil || len(page) != 2 || page[0].ID != ids[2] || next != ids[1] {
			t.Fatalf("page 2: %v %d %v", page, next, err)
		}
		failed, _, err := b.svc.Reviews(ctx, w.ID, review.ReviewFilter{Status: reckon.ReviewFailed})
		if err != nil || len(failed) != 1 || failed[0].EnvironmentID != envB.ID {
			t.Fatalf("failed: %v %v", failed, err)
		}
		if _, _, err := b.svc.Reviews(ctx, w.ID, review.ReviewFilter{Status: "done"}); codedErr(t, err).Fields["status"].Key == "" {
			t.Errorf("unknown status: %v", err)
		}
		latest, err := b.svc.LatestReview(ctx, scopeA)
		if err != nil || latest.ID != ids[4] || len(latest.Content) == 0 {
			t.Fatalf("latest: %+v %v", latest, err)
		}
	})
}
