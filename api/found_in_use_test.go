package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// past_deadline=true lists the active runs whose deadline has passed, on
// the workspace list and the platform list.
func TestOperationsPastDeadline(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			clock := reckontest.NewClock(reckontest.Epoch())
			w := newWorld(t, reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now}))
			queued := w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, "q")
			done := w.run(t, scopeOf(w.envA2), reckon.RunTypeRestoreExecute, "d")
			w.complete(t, done.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleQueued, Actor: "test"})
			foreign := w.run(t, scopeOf(w.envB), reckon.RunTypeReviewCompose, "f")
			list := "/api/v1/workspaces/" + w.wsA.Slug + "/operations"
			check := func(token, path string, want ...int64) {
				t.Helper()
				res := w.get(t, token, path)
				expect(t, res, http.StatusOK)
				if got := operationIDs(t, res); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: got %v, want %v", path, got, want)
				}
			}
			check(w.readonly, list+"?past_deadline=true")
			check(w.readonly, list+"?past_deadline=false", done.ID, queued.ID)
			clock.Advance(time.Hour)
			check(w.readonly, list+"?past_deadline=true", queued.ID)
			check(w.readonly, list+fmt.Sprintf("?past_deadline=true&environment=%d", w.envA2.ID))
			check(w.support, "/api/v1/system/operations?past_deadline=true", foreign.ID, queued.ID)
			res := w.get(t, w.readonly, list+"?past_deadline=soon")
			expect(t, res, http.StatusUnprocessableEntity)
			if res.errorCode() != "validation_failed" {
				t.Errorf("past_deadline=soon: %s", res.Body)
			}
		})
	}
}

// A review is stale once its environment holds newer evidence: in the
// detail and in the list.
func TestReviewStale(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		env := fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)
		w.startWorker(t)
		expect(t, w.post(t, w.owner, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		op := obj(w.post(t, w.owner, env+"/reviews", "").JSON["operation"])
		w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
		up := w.post(t, w.owner, env+"/reviews", "")
		v := obj(up.JSON["review"])
		if v["stale"] != false {
			t.Fatalf("a review of the newest evidence: %s", up.Body)
		}
		self := obj(v["links"])["self"].(string)
		if got := w.get(t, w.readonly, self).JSON["stale"]; got != false {
			t.Fatalf("stale before newer evidence: %v", got)
		}
		expect(t, w.post(t, w.owner, env+"/evidence-snapshots", snapshotV2), http.StatusCreated)
		if got := w.get(t, w.readonly, self).JSON["stale"]; got != true {
			t.Fatalf("stale after newer evidence: %v", got)
		}
		res := w.get(t, w.readonly, ws+"/reviews")
		expect(t, res, http.StatusOK)
		if list := res.JSON["reviews"].([]any); len(list) != 1 || obj(list[0])["stale"] != true {
			t.Fatalf("review list: %s", res.Body)
		}
	})
}
