package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestBulkActsOnEveryMatchingRunOnce(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bulk := "/api/v1/workspaces/" + w.wsA.Slug + "/operations/bulk"
		var inA1 []int64
		for i := range 3 {
			inA1 = append(inA1, w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, fmt.Sprint("b", i)).ID)
		}
		inA2 := w.run(t, scopeOf(w.envA2), reckon.RunTypeReviewCompose, "b-other").ID
		w.run(t, scopeOf(w.envB), reckon.RunTypeReviewCompose, "b-elsewhere")

		expect(t, w.post(t, w.readonly, bulk, `{"action": "cancel", "filter": {"status": "queued"}}`), http.StatusForbidden)
		expect(t, w.post(t, w.operator, bulk, `{"action": "delete", "filter": {}}`), http.StatusUnprocessableEntity)
		expect(t, w.post(t, w.operator, bulk, `{"action": "cancel", "filter": {"limit": 5}}`), http.StatusUnprocessableEntity)
		expect(t, w.post(t, w.operator, bulk, `{"action": "cancel", "filter": {"status": "sleeping"}}`), http.StatusUnprocessableEntity)

		// The member entitled to environment 1 acts on its runs only.
		res := w.post(t, w.restricted, bulk, `{"action": "cancel", "filter": {"status": "queued"}, "note": "drain"}`)
		expect(t, res, http.StatusOK)
		if res.JSON["matched"] != 3.0 || res.JSON["changed"] != 3.0 || res.JSON["skipped"] != 0.0 {
			t.Fatalf("restricted bulk cancel: %s", res.Body)
		}
		for _, id := range inA1 {
			if got := w.get(t, w.readonly, w.opPath(id, "")).JSON["outcome"]; got != "cancelled" {
				t.Fatalf("run %d is %v after the bulk cancel", id, got)
			}
			if got := w.runActions(t, id); len(got) != 1 || !strings.HasSuffix(got[0], " drain") {
				t.Fatalf("run %d audit: %q", id, got)
			}
		}
		if got := w.get(t, w.readonly, w.opPath(inA2, "")).JSON["outcome"]; got != "pending" {
			t.Fatalf("a run outside the entitlement was cancelled: %v", got)
		}
		// Repeated on every run: only what is left changes.
		res = w.post(t, w.operator, bulk, `{"action": "cancel", "filter": {}}`)
		if res.JSON["matched"] != 4.0 || res.JSON["changed"] != 1.0 || res.JSON["skipped"] != 3.0 {
			t.Fatalf("second bulk cancel: %s", res.Body)
		}
		// Cancelled runs cannot be acknowledged: every one is skipped.
		res = w.post(t, w.operator, bulk, `{"action": "acknowledge", "filter": {"outcome": "cancelled"}}`)
		if res.JSON["matched"] != 4.0 || res.JSON["changed"] != 0.0 || res.JSON["skipped"] != 4.0 {
			t.Fatalf("bulk acknowledge of cancelled runs: %s", res.Body)
		}
	})
}

func TestLargeBulkRunsAsOneJobWithProgress(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		n := operator.BulkSyncLimit + 20
		w.tx(t, func(tx *store.Tx) error {
			return tx.InsertRunBatch(context.Background(), &store.RunBatch{Scope: scopeOf(w.envA1), Type: reckon.RunTypeRestoreExecute,
				Status: reckon.RunQueued, Count: n, KeyPrefix: "bulk:", CreatedAt: tx.Now(), DeadlineAt: tx.Now().Add(time.Hour)})
		})
		bulk := "/api/v1/workspaces/" + w.wsA.Slug + "/operations/bulk"
		body := `{"action": "cancel", "filter": {"status": "queued", "type": "restore.execute"}}`
		res := w.post(t, w.operator, bulk, body)
		expect(t, res, http.StatusAccepted)
		op := objectOf(t, res, "operation")
		if op["type"] != string(reckon.RunTypeBulk) || op["status"] != "queued" || res.JSON["matched"] != nil {
			t.Fatalf("large bulk: %s", res.Body)
		}
		// The same request while the bulk run is active answers that run.
		if again := w.post(t, w.operator, bulk, body); idOf(objectOf(t, again, "operation")) != idOf(op) {
			t.Fatalf("repeated large bulk started another run: %s", again.Body)
		}
		// The queue works the bulk run.
		w.startWorker(t)
		done := w.waitCompleted(t, w.readonly, w.opPath(idOf(op), ""))
		if done.JSON["outcome"] != "succeeded" {
			t.Fatalf("bulk run: %s", done.Body)
		}
		var sum operator.BulkSummary
		w.tx(t, func(tx *store.Tx) error {
			run, err := tx.Run(context.Background(), w.wsA.ID, idOf(op))
			if err == nil {
				err = json.Unmarshal(run.Summary, &sum)
			}
			return err
		})
		if sum.Matched != int64(n) || sum.Changed != int64(n) || sum.Skipped != 0 || sum.Done != int64(n) {
			t.Fatalf("bulk summary %+v, want %d matched and changed", sum, n)
		}
		list := w.get(t, w.readonly, "/api/v1/workspaces/"+w.wsA.Slug+"/operations?outcome=cancelled&limit=1")
		if list.JSON["count"] != float64(n) {
			t.Fatalf("cancelled count: %v, want %d", list.JSON["count"], n)
		}
		// Working it again (a redelivered job) changes nothing.
		if err := w.ops.WorkBulk(context.Background(), idOf(op)); err != nil {
			t.Fatal(err)
		}
		w.tx(t, func(tx *store.Tx) error {
			jobs, err := tx.QueueJobs(context.Background(), string(reckon.RunTypeBulk))
			if err == nil && (len(jobs) != 1 || jobs[0].State != "completed") {
				t.Errorf("bulk jobs: %+v", jobs)
			}
			return err
		})
	})
}

func TestRetryRestoreReappliesOnlyWhatWasNotApplied(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		res := w.post(t, w.manager, env+"/restores", `{"backup_ref": "nightly-7", "items": [
			{"key": "a", "payload": {"v": 1}}, {"key": "b", "payload": {"v": 2}}, {"key": "c", "payload": {"v": 3}}]}`)
		expect(t, res, http.StatusAccepted)
		runID := idOf(objectOf(t, res, "operation"))
		ctx := context.Background()
		w.tx(t, func(tx *store.Tx) error {
			rr, err := tx.RestoreByRun(ctx, scopeOf(w.envA1), runID)
			if err != nil {
				return err
			}
			items, err := tx.RestoreItems(ctx, rr.ID, false)
			if err != nil {
				return err
			}
			if _, err := tx.RecordRestoreItem(ctx, items[0].ID, reckon.RestoreItemApplied, ""); err != nil {
				return err
			}
			_, err = tx.RecordRestoreItem(ctx, items[1].ID, reckon.RestoreItemFailed, "restore.item_rejected")
			return err
		})
		w.complete(t, runID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleRunning, Actor: "reconciler"})

		expect(t, w.post(t, w.operator, w.opPath(runID, "retry"), ""), http.StatusForbidden)
		res = w.post(t, w.manager, w.opPath(runID, "retry"), "")
		expect(t, res, http.StatusOK)
		retry := objectOf(t, res, "retry")
		if retry["type"] != string(reckon.RunTypeRestoreExecute) || retry["context"].(map[string]any)["backup_ref"] != "nightly-7" {
			t.Fatalf("restore retry: %s", res.Body)
		}
		var keys []string
		w.tx(t, func(tx *store.Tx) error {
			rr, err := tx.RestoreByRun(ctx, scopeOf(w.envA1), idOf(retry))
			if err != nil {
				return err
			}
			items, err := tx.RestoreItems(ctx, rr.ID, false)
			for _, it := range items {
				keys = append(keys, it.Key)
			}
			return err
		})
		if fmt.Sprint(keys) != "[b c]" {
			t.Fatalf("the retry restores %v, want the failed and the unreached item [b c]", keys)
		}
		// The backup reference finds both runs.
		list := w.get(t, w.readonly, "/api/v1/workspaces/"+w.wsA.Slug+"/operations?q=nightly-7")
		if got := operationIDs(t, list); fmt.Sprint(got) != fmt.Sprint([]int64{idOf(retry), runID}) {
			t.Fatalf("q=backup ref: %v", got)
		}
	})
}

// export fetches an export without decoding it as JSON.
func (w *world) export(t testing.TB, token, path string) *httptest.ResponseRecorder {
	t.Helper()
	hr := httptest.NewRequest(http.MethodGet, path, nil)
	hr.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	serveValidated(t, w.db.Engine(), w.handler, rec, hr)
	scanLeak(t, http.MethodGet, path, rec.Body.Bytes())
	return rec
}

func TestOperationsSearchAndExport(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug + "/operations"
		var ids []int64
		for i := range 7 {
			ids = append([]int64{w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, fmt.Sprint("fp-", i)).ID}, ids...)
		}
		w.run(t, scopeOf(w.envB), reckon.RunTypeReviewCompose, "fp-3") // another workspace's fingerprint

		one := func(path string, want ...int64) {
			t.Helper()
			res := w.get(t, w.readonly, path)
			expect(t, res, http.StatusOK)
			if got := operationIDs(t, res); fmt.Sprint(got) != fmt.Sprint(want) || res.JSON["count"] != float64(len(want)) {
				t.Fatalf("%s: %v (count %v), want %v", path, got, res.JSON["count"], want)
			}
		}
		one(ws+"?q=fp-3", ids[3])
		one(fmt.Sprintf("%s?q=%d", ws, ids[5]), ids[5])
		one(ws + "?q=nothing-like-it")
		one(ws + "?until=2000-01-01T00:00:00Z")
		one(ws+"?since=2000-01-01T00:00:00Z&limit=50", ids...)
		expect(t, w.get(t, w.readonly, ws+"?since=yesterday"), http.StatusUnprocessableEntity)
		expect(t, w.get(t, w.readonly, ws+"?format=xml"), http.StatusUnprocessableEntity)

		page := w.get(t, w.readonly, ws+"?limit=2")
		if page.JSON["count"] != 7.0 || len(operationIDs(t, page)) != 2 {
			t.Fatalf("a page counts every match: %s", page.Body)
		}

		rec := w.export(t, w.readonly, ws+"?format=csv&limit=2")
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("csv export: %d %s", rec.Code, rec.Body)
		}
		rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 8 || rows[0][0] != "id" || rows[1][0] != fmt.Sprint(ids[0]) || rows[7][0] != fmt.Sprint(ids[6]) {
			t.Fatalf("csv export ignores the page limit and lists every run, newest first: %q", rows)
		}
		rec = w.export(t, w.readonly, ws+"?format=json&q=fp-1")
		var all struct {
			Operations []map[string]any `json:"operations"`
			Count      int              `json:"count"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil || all.Count != 1 || len(all.Operations) != 1 {
			t.Fatalf("json export: %v %s", err, rec.Body)
		}
		if rec := w.export(t, w.outsider, ws+"?format=csv"); rec.Code != http.StatusNotFound {
			t.Fatalf("export to an outsider: %d", rec.Code)
		}
	})
}
