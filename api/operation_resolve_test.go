package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// ambiguousRun makes a compose run in envA2 blocked as ambiguous, through
// the API where it can: evidence, a review composed and published, then a
// ready copy of it beside it (as a migration leaves one) and a run of its
// fingerprint that the reconciler blocks. It returns the run and the two
// reviews.
func (w *world) ambiguousRun(t *testing.T) (runID, published, twin int64) {
	t.Helper()
	env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA2.ID)
	expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
	w.startWorker(t)
	res := w.post(t, w.operator, env+"/reviews", "")
	expect(t, res, http.StatusAccepted)
	done := w.waitCompleted(t, w.readonly, w.opPath(idOf(objectOf(t, res, "operation")), ""))
	w.stopWorker(t)
	var v *reckon.Review
	w.tx(t, func(tx *store.Tx) (err error) {
		v, err = tx.ReviewOfRun(context.Background(), w.wsA.ID, idOf(done.JSON))
		return err
	})
	expect(t, w.post(t, w.manager, fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d/publish", w.wsA.Slug, v.ID), ""), http.StatusOK)
	copied := w.fx.ReadyTwin(v)
	run := w.run(t, scopeOf(w.envA2), reckon.RunTypeReviewCompose, v.Fingerprint)
	res = w.post(t, w.operator, w.opPath(run.ID, "reconcile"), "")
	expect(t, res, http.StatusOK)
	if op := objectOf(t, res, "operation"); op["outcome"] != "blocked" || obj(op["reconciliation"])["reason_code"] != review.ReasonAmbiguous {
		t.Fatalf("the run is not blocked as ambiguous: %s", res.Body)
	}
	return run.ID, v.ID, copied.ID
}

func TestResolveAmbiguity(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		runID, published, twin := w.ambiguousRun(t)
		path := w.opPath(runID, "resolve")
		body := fmt.Sprintf(`{"keep_review_id": %d, "publish": true, "note": "the copy is the one we sent"}`, twin)

		// Roles and visibility: a manager's action, in the run's workspace
		// and environment only.
		expect(t, w.post(t, w.readonly, path, body), http.StatusForbidden)
		expect(t, w.post(t, w.operator, path, body), http.StatusForbidden)
		expect(t, w.post(t, w.outsider, path, body), http.StatusNotFound)
		expect(t, w.post(t, w.restricted, path, body), http.StatusNotFound)
		expect(t, w.post(t, w.outsider, fmt.Sprintf("/api/v1/workspaces/%s/operations/%d/resolve", w.wsB.Slug, runID), body), http.StatusNotFound)

		// The body: a review to keep, one of the competitors, nothing else.
		for _, c := range []struct{ body, field string }{
			{`{}`, "keep_review_id"},
			{`{"keep_review_id": 0}`, "keep_review_id"},
			{`{"keep_review_id": 1, "why": "x"}`, "why"},
			{fmt.Sprintf(`{"keep_review_id": %d}`, 1<<40), "keep_review_id"},
			{fmt.Sprintf(`{"keep_review_id": %d, "note": "%s"}`, twin, strings.Repeat("x", 1001)), "note"},
		} {
			res := w.post(t, w.manager, path, c.body)
			if expect(t, res, http.StatusUnprocessableEntity); obj(obj(res.JSON["error"])["fields"])[c.field] == nil {
				t.Errorf("%s: no message on %s: %s", c.body, c.field, res.Body)
			}
		}
		res := w.post(t, w.manager, path, fmt.Sprintf(`{"keep_review_id": %d}`, 1<<40))
		if msg := obj(obj(res.JSON["error"])["fields"])["keep_review_id"].(string); !strings.Contains(msg, fmt.Sprintf("#%d, #%d", published, twin)) {
			t.Errorf("the refusal does not name the competitors: %s", msg)
		}
		if actions := w.runActions(t, runID); len(actions) != 1 {
			t.Fatalf("refusals were audited: %q", actions)
		}

		res = w.post(t, w.manager, path, body)
		expect(t, res, http.StatusOK)
		op, retry, kept := objectOf(t, res, "operation"), objectOf(t, res, "retry"), objectOf(t, res, "review")
		rec := obj(retry["reconciliation"])
		manager := fmt.Sprintf("user:%d", w.userOf(t, w.manager))
		if res.JSON["changed"] != true || res.JSON["result"] != nil || op["outcome"] != "blocked" ||
			num(obj(op["context"])["retried_by"]) != idOf(retry) || num(obj(retry["context"])["retry_of"]) != runID ||
			retry["status"] != "completed" || retry["outcome"] != "succeeded" || retry["type"] != string(reckon.RunTypeReviewCompose) ||
			rec["source"] != "operator" || rec["reason_code"] != review.ReasonAmbiguityResolved ||
			num(obj(rec["evidence"])["review_id"]) != twin || obj(rec["evidence"])["resolved_by"] != manager ||
			idOf(kept) != twin || kept["status"] != "published" {
			t.Fatalf("resolve: %s", res.Body)
		}
		if v := w.get(t, w.readonly, fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d", w.wsA.Slug, published)); v.JSON["status"] != "archived" {
			t.Fatalf("the other review: %s", v.Body)
		}

		// Again: the same answer, nothing new; keeping another: refused.
		again := w.post(t, w.manager, path, body)
		if expect(t, again, http.StatusOK); again.JSON["changed"] != false || idOf(objectOf(t, again, "retry")) != idOf(retry) {
			t.Fatalf("second resolve: %s", again.Body)
		}
		other := w.do(t, req{method: http.MethodPost, path: path, token: w.manager, header: map[string]string{"Accept-Language": "de"},
			body: fmt.Sprintf(`{"keep_review_id": %d}`, published)})
		if expect(t, other, http.StatusConflict); other.errorCode() != "invalid_transition" || !strings.Contains(other.errorMessage(), "aufgelöst") {
			t.Fatalf("resolve keeping another review: %s", other.Body)
		}
		want := []string{"run.completed user:" + fmt.Sprint(w.userOf(t, w.operator)) + " ", "run.resolved " + manager + " the copy is the one we sent"}
		if got := w.runActions(t, runID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit of the blocked run: %q, want %q", got, want)
		}
		if got := w.runActions(t, idOf(retry)); fmt.Sprint(got) != fmt.Sprint([]string{"run.completed " + manager + " the copy is the one we sent"}) {
			t.Fatalf("audit of the resolution: %q", got)
		}

		// The timeline says it, with the links.
		tl := w.get(t, w.readonly, w.opPath(runID, "events"))
		expect(t, tl, http.StatusOK)
		events := tl.JSON["events"].([]any)
		last := obj(events[len(events)-1])
		if last["kind"] != "resolved" || last["actor"] != manager || last["note"] != "the copy is the one we sent" ||
			last["operation"] != w.opPath(idOf(retry), "") || last["review"] != fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d", w.wsA.Slug, twin) ||
			obj(tl.JSON["links"])["retried_by"] != w.opPath(idOf(retry), "") {
			t.Fatalf("timeline: %s", tl.Body)
		}

		// A run that is not an ambiguity is refused.
		res = w.post(t, w.manager, w.opPath(idOf(retry), "resolve"), fmt.Sprintf(`{"keep_review_id": %d}`, twin))
		if expect(t, res, http.StatusConflict); res.errorCode() != "invalid_transition" {
			t.Fatalf("resolve of a succeeded run: %s", res.Body)
		}
	})
}
