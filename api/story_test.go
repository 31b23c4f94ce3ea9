package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

const snapshotV1 = `{"captured_at": "2026-11-27T09:00:00Z", "findings": [
	{"control_id": "MS.AAD.1.1", "title": "Legacy authentication is blocked", "severity": "high", "status": "fail"},
	{"control_id": "MS.AAD.3.1", "title": "Phishing-resistant MFA for admins", "severity": "critical", "status": "pass"},
	{"control_id": "MS.EXO.1.1", "title": "Automatic forwarding is disabled", "severity": "medium", "status": "fail", "detail": "2 rules"}]}`

const snapshotV2 = `{"captured_at": "2026-11-28T09:00:00Z", "findings": [
	{"control_id": "MS.AAD.1.1", "title": "Legacy authentication is blocked", "severity": "high", "status": "pass"},
	{"control_id": "MS.AAD.3.1", "title": "Phishing-resistant MFA for admins", "severity": "critical", "status": "pass"},
	{"control_id": "MS.EXO.1.1", "title": "Automatic forwarding is disabled", "severity": "medium", "status": "fail"}]}`

// openWithClock runs fn per engine on a database whose transactions read a
// settable clock, so that the test can move runs past their deadlines.
func eachEngineWithClock(t *testing.T, fn func(t *testing.T, db *store.DB, clock *reckontest.Clock)) {
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			clock := reckontest.NewClock(time.Now())
			fn(t, reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now}), clock)
		})
	}
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// waitCompleted polls an operation until it is completed.
func (w *world) waitCompleted(t *testing.T, token, path string) *response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := w.get(t, token, path)
		expect(t, res, http.StatusOK)
		if res.JSON["status"] == "completed" {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation never completed: %s", res.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The whole review story, through HTTP only.
func TestReviewStoryEndToEnd(t *testing.T) {
	t.Parallel()
	eachEngineWithClock(t, func(t *testing.T, db *store.DB, clock *reckontest.Clock) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		env := fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)

		// Without evidence there is nothing to compose.
		res := w.post(t, w.operator, env+"/reviews", "")
		if res.Status != http.StatusUnprocessableEntity || res.errorCode() != "no_evidence" {
			t.Fatalf("compose without evidence: %d %s", res.Status, res.Body)
		}

		res = w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1)
		expect(t, res, http.StatusCreated)
		snap1 := res.JSON
		if num(snap1["environment_id"]) != w.envA1.ID || num(snap1["finding_count"]) != 3 || snap1["content_hash"] == "" {
			t.Fatalf("snapshot: %s", res.Body)
		}

		queued := w.post(t, w.operator, env+"/reviews", "")
		expect(t, queued, http.StatusAccepted)
		op := obj(queued.JSON["operation"])
		if queued.JSON["result"] != "queued" || op == nil || queued.JSON["review"] != nil || queued.JSON["message"] == "" {
			t.Fatalf("compose: %s", queued.Body)
		}
		if obj(op["context"])["fingerprint"] == "" || op["type"] != "environment.review.compose" {
			t.Fatalf("compose run: %v", op)
		}
		again := w.post(t, w.operator, env+"/reviews", "")
		expect(t, again, http.StatusOK)
		if again.JSON["result"] != "already_running" || num(obj(again.JSON["operation"])["id"]) != num(op["id"]) {
			t.Fatalf("compose again: %s", again.Body)
		}

		w.startWorker(t)
		done := w.waitCompleted(t, w.readonly, obj(op["links"])["self"].(string))
		if done.JSON["outcome"] != "succeeded" {
			t.Fatalf("compose run: %s", done.Body)
		}

		upToDate := w.post(t, w.operator, env+"/reviews", "")
		expect(t, upToDate, http.StatusOK)
		rv1 := obj(upToDate.JSON["review"])
		if upToDate.JSON["result"] != "up_to_date" || rv1 == nil || rv1["status"] != "ready" ||
			num(rv1["evidence_snapshot_id"]) != num(snap1["id"]) || num(rv1["operation_run_id"]) != num(op["id"]) {
			t.Fatalf("up to date: %s", upToDate.Body)
		}
		if _, hasContent := rv1["content"]; hasContent {
			t.Errorf("a compose result carries review content: %v", rv1)
		}
		detail := w.get(t, w.readonly, obj(rv1["links"])["self"].(string))
		expect(t, detail, http.StatusOK)
		if obj(detail.JSON["content"]) == nil {
			t.Fatalf("review detail without content: %s", detail.Body)
		}
		if obj(detail.JSON["links"])["console"] != fmt.Sprintf("/admin/workspaces/%s/reviews/%d", w.wsA.Slug, num(rv1["id"])) {
			t.Errorf("console link: %v", detail.JSON["links"])
		}

		// New evidence, then a refresh of the existing review.
		res = w.post(t, w.operator, env+"/evidence-snapshots", snapshotV2)
		expect(t, res, http.StatusCreated)
		refreshed := w.post(t, w.operator, fmt.Sprintf("%s/reviews/%d/refresh", ws, num(rv1["id"])), "")
		expect(t, refreshed, http.StatusAccepted)
		w.waitCompleted(t, w.readonly, obj(obj(refreshed.JSON["operation"])["links"])["self"].(string))
		list := w.get(t, w.readonly, fmt.Sprintf("%s/reviews?environment=%d", ws, w.envA1.ID))
		expect(t, list, http.StatusOK)
		reviews := list.JSON["reviews"].([]any)
		if len(reviews) != 2 || obj(reviews[0])["status"] != "ready" || obj(reviews[1])["status"] != "superseded" ||
			num(obj(reviews[1])["superseded_by_review_id"]) != num(obj(reviews[0])["id"]) {
			t.Fatalf("reviews after refresh: %s", list.Body)
		}
		if _, hasContent := obj(reviews[0])["content"]; hasContent {
			t.Errorf("review list carries content")
		}
		rv2 := fmt.Sprintf("%s/reviews/%d", ws, num(obj(reviews[0])["id"]))
		snaps := w.get(t, w.readonly, env+"/evidence-snapshots")
		if s := snaps.JSON["snapshots"].([]any); len(s) != 2 || num(obj(s[1])["id"]) != num(snap1["id"]) {
			t.Fatalf("snapshots newest first: %s", snaps.Body)
		}

		// Publish and archive; a wrong state is 409.
		res = w.post(t, w.manager, rv2+"/archive", "")
		if res.Status != http.StatusConflict || res.errorCode() != "invalid_transition" {
			t.Fatalf("archive a ready review: %d %s", res.Status, res.Body)
		}
		res = w.post(t, w.manager, rv2+"/publish", "")
		expect(t, res, http.StatusOK)
		if res.JSON["status"] != "published" || res.JSON["published_at"] == nil {
			t.Fatalf("publish: %s", res.Body)
		}
		res = w.post(t, w.manager, rv2+"/publish", "")
		if res.Status != http.StatusConflict || res.errorCode() != "invalid_transition" {
			t.Fatalf("publish twice: %d %s", res.Status, res.Body)
		}
		res = w.post(t, w.manager, rv2+"/archive", "")
		expect(t, res, http.StatusOK)
		if res.JSON["status"] != "archived" || res.JSON["archived_at"] == nil {
			t.Fatalf("archive: %s", res.Body)
		}

		// Reconcile now: a compose run that no job works is left alone
		// within its deadline and settled from review truth past it.
		w.stopWorker(t)
		env2 := fmt.Sprintf("%s/environments/%d", ws, w.envA2.ID)
		expect(t, w.post(t, w.operator, env2+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		stuck := obj(w.post(t, w.operator, env2+"/reviews", "").JSON["operation"])
		reconcile := fmt.Sprintf("%s/operations/%d/reconcile", ws, num(stuck["id"]))
		res = w.post(t, w.operator, reconcile, "")
		expect(t, res, http.StatusOK)
		if res.JSON["changed"] != false || obj(res.JSON["operation"])["status"] != "queued" {
			t.Fatalf("reconcile within the deadline: %s", res.Body)
		}
		clock.Advance(24 * time.Hour)
		res = w.post(t, w.operator, reconcile, "")
		expect(t, res, http.StatusOK)
		settled := obj(res.JSON["operation"])
		if res.JSON["changed"] != true || settled["status"] != "completed" || settled["outcome"] != "failed" {
			t.Fatalf("reconcile past the deadline: %s", res.Body)
		}
		rec := obj(settled["reconciliation"])
		if rec["source"] != "adapter" || rec["reason_code"] != "review.not_produced" || rec["decision"] != "failed" ||
			num(obj(rec["evidence"])["workspace_id"]) != w.wsA.ID {
			t.Fatalf("reconciliation: %v", rec)
		}
		ops := w.get(t, w.readonly, ws+"/operations?reconciled=true&outcome=failed")
		expect(t, ops, http.StatusOK)
		found := ops.JSON["operations"].([]any)
		if len(found) != 1 || num(obj(found[0])["id"]) != num(stuck["id"]) || obj(obj(found[0])["reconciliation"])["reason_code"] != "review.not_produced" {
			t.Fatalf("operations list after reconcile: %s", ops.Body)
		}
		detail = w.get(t, w.readonly, obj(stuck["links"])["self"].(string))
		failure := obj(detail.JSON["failure"])
		if obj(detail.JSON["reconciliation"])["reason_code"] != "review.not_produced" || failure["reason_code"] != "review.not_produced" ||
			failure["message"] != "The run passed its deadline without producing a review." {
			t.Fatalf("operation detail after reconcile: %s", detail.Body)
		}
		res = w.post(t, w.operator, reconcile, "")
		if res.JSON["changed"] != false {
			t.Fatalf("a second reconcile changed the run: %s", res.Body)
		}
	})
}
