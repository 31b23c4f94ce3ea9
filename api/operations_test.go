package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// run creates a queued run in a scope through the ledger.
func (w *world) run(t testing.TB, scope reckon.Scope, typ reckon.RunType, key string) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	w.tx(t, func(tx *store.Tx) (err error) {
		run, _, err = w.ledger.Ensure(context.Background(), tx, &ledger.EnsureParams{
			Scope: scope, Type: typ, Key: key, Context: reckon.RunContext{Fingerprint: key},
		})
		return err
	})
	return run
}

func (w *world) complete(t testing.TB, runID int64, c *ledger.Completion) {
	t.Helper()
	w.tx(t, func(tx *store.Tx) error {
		_, _, err := w.ledger.Complete(context.Background(), tx, runID, c)
		return err
	})
}

func scopeOf(e *reckon.Environment) reckon.Scope {
	return reckon.Scope{WorkspaceID: e.WorkspaceID, EnvironmentID: e.ID}
}

func operationIDs(t testing.TB, res *response) []int64 {
	t.Helper()
	ops, ok := res.JSON["operations"].([]any)
	if !ok {
		t.Fatalf("no operations list: %s", res.Body)
	}
	ids := make([]int64, len(ops))
	for i, o := range ops {
		ids[i] = int64(o.(map[string]any)["id"].(float64))
	}
	return ids
}

func nextCursorOf(res *response) string {
	s, _ := res.JSON["next_cursor"].(string)
	return s
}

func TestOperationsListPagesNewestFirstStableUnderInserts(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var want []int64
		for i := range 7 {
			want = append([]int64{w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, fmt.Sprint("k", i)).ID}, want...)
		}
		w.run(t, scopeOf(w.envB), reckon.RunTypeReviewCompose, "other") // another workspace's run never shows
		base := "/api/v1/workspaces/" + w.wsA.Slug + "/operations?limit=3"

		first := w.get(t, w.readonly, base)
		expect(t, first, http.StatusOK)
		if got := operationIDs(t, first); fmt.Sprint(got) != fmt.Sprint(want[:3]) {
			t.Fatalf("first page %v, want %v", got, want[:3])
		}
		// A run inserted between pages must not shift the next page.
		w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, "late")
		second := w.get(t, w.readonly, base+"&cursor="+nextCursorOf(first))
		if got := operationIDs(t, second); fmt.Sprint(got) != fmt.Sprint(want[3:6]) {
			t.Fatalf("second page %v, want %v", got, want[3:6])
		}
		third := w.get(t, w.readonly, base+"&cursor="+nextCursorOf(second))
		if got := operationIDs(t, third); fmt.Sprint(got) != fmt.Sprint(want[6:]) {
			t.Fatalf("third page %v, want %v", got, want[6:])
		}
		if third.JSON["next_cursor"] != nil {
			t.Fatalf("last page has a next cursor: %s", third.Body)
		}
	})
}

func TestOperationsFiltersAndEntitlements(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		queued := w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, "q")
		failed := w.run(t, scopeOf(w.envA2), reckon.RunTypeRestoreExecute, "f")
		w.complete(t, failed.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleQueued, Actor: "test"})
		settled := w.run(t, scopeOf(w.envA1), reckon.RunTypeRestoreExecute, "s")
		w.tx(t, func(tx *store.Tx) error {
			_, _, err := w.ledger.UpdateWithReconciliation(context.Background(), tx, settled.ID,
				reckon.Reconciliation{Source: reckon.SourceAdapter, Adapter: "restore.execute", Decision: reckon.OutcomeSucceeded,
					ReasonCode: "restore.completed", Evidence: reckon.Evidence{WorkspaceID: w.wsA.ID, EnvironmentID: w.envA1.ID}}, "test")
			return err
		})
		list := "/api/v1/workspaces/" + w.wsA.Slug + "/operations"
		cases := []struct {
			token, query string
			want         []int64
		}{
			{w.owner, "", []int64{settled.ID, failed.ID, queued.ID}},
			{w.owner, "?status=queued", []int64{queued.ID}},
			{w.owner, "?outcome=failed", []int64{failed.ID}},
			{w.owner, "?type=restore.execute", []int64{settled.ID, failed.ID}},
			{w.owner, fmt.Sprintf("?environment=%d", w.envA2.ID), []int64{failed.ID}},
			{w.owner, "?reconciled=true", []int64{settled.ID}},
			{w.owner, fmt.Sprintf("?environment=%d", w.envB.ID), []int64{}},
			// A restricted member sees only their environment's runs, even
			// when they ask for another.
			{w.restricted, "", []int64{settled.ID, queued.ID}},
			{w.restricted, fmt.Sprintf("?environment=%d", w.envA2.ID), []int64{}},
		}
		for _, c := range cases {
			res := w.get(t, c.token, list+c.query)
			expect(t, res, http.StatusOK)
			if got := operationIDs(t, res); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: got %v, want %v", c.query, got, c.want)
			}
		}

		// The detail shows the run per docs/api.md, the reconciliation object
		// and a translated failure.
		res := w.do(t, req{method: http.MethodGet, path: fmt.Sprintf("%s/%d", list, failed.ID), token: w.owner,
			header: map[string]string{"Accept-Language": "de"}})
		expect(t, res, http.StatusOK)
		if res.JSON["type_label"] != "Sicherung wiederherstellen" || res.JSON["workspace"] != w.wsA.Slug {
			t.Errorf("detail: %s", res.Body)
		}
		links := res.JSON["links"].(map[string]any)
		if links["self"] != fmt.Sprintf("%s/%d", list, failed.ID) ||
			links["console"] != fmt.Sprintf("/admin/workspaces/%s/operations/%d", w.wsA.Slug, failed.ID) {
			t.Errorf("links: %v", links)
		}
		failure := res.JSON["failure"].(map[string]any)
		if failure["reason_code"] != reckon.ReasonStaleQueued || failure["message"] == "" {
			t.Errorf("failure: %v", failure)
		}
		res = w.get(t, w.owner, fmt.Sprintf("%s/%d", list, settled.ID))
		rec, ok := res.JSON["reconciliation"].(map[string]any)
		if !ok || rec["source"] != "adapter" || rec["reason_code"] != "restore.completed" || rec["decision"] != "succeeded" {
			t.Errorf("reconciliation: %s", res.Body)
		}
		if res.JSON["failure"] != nil {
			t.Errorf("a succeeded run has a failure: %s", res.Body)
		}
	})
}

func TestOperationsBadParameters(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 3 {
			w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, fmt.Sprint(i))
		}
		list := "/api/v1/workspaces/" + w.wsA.Slug + "/operations"
		for _, c := range []struct {
			query  string
			status int
			field  string
		}{
			{"?cursor=nope", http.StatusBadRequest, ""},
			{"?cursor=" + "azE6LTU", http.StatusBadRequest, ""}, // k1:-5
			{"?limit=0", http.StatusUnprocessableEntity, "limit"},
			{"?limit=ten", http.StatusUnprocessableEntity, "limit"},
			{"?status=stuck", http.StatusUnprocessableEntity, "status"},
			{"?outcome=maybe", http.StatusUnprocessableEntity, "outcome"},
			{"?type=unknown.kind", http.StatusUnprocessableEntity, "type"},
			{"?environment=-1", http.StatusUnprocessableEntity, "environment"},
			{"?reconciled=perhaps", http.StatusUnprocessableEntity, "reconciled"},
		} {
			res := w.get(t, w.owner, list+c.query)
			if res.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.query, res.Status, c.status, res.Body)
				continue
			}
			if c.field != "" {
				fields, _ := res.JSON["error"].(map[string]any)["fields"].(map[string]any)
				if fields[c.field] == nil {
					t.Errorf("%s: no field error for %s: %s", c.query, c.field, res.Body)
				}
			}
		}
		// A limit over the maximum is lowered, not refused.
		res := w.get(t, w.owner, list+"?limit=100000")
		expect(t, res, http.StatusOK)
		if n := len(operationIDs(t, res)); n != 3 {
			t.Fatalf("got %d runs", n)
		}
		// German messages, fields included.
		res = w.do(t, req{method: http.MethodGet, path: list + "?limit=0&cursor=x", token: w.owner,
			header: map[string]string{"Accept-Language": "de-DE,de;q=0.9"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.errorMessage(), "Cursor ist ungültig") {
			t.Errorf("German bad cursor: %s", res.Body)
		}
		res = w.do(t, req{method: http.MethodGet, path: list + "?limit=0", token: w.owner,
			header: map[string]string{"Accept-Language": "de"}})
		fields := res.JSON["error"].(map[string]any)["fields"].(map[string]any)
		if !strings.Contains(fields["limit"].(string), "ganze Zahl") || res.errorMessage() != "Die Eingabe ist ungültig." {
			t.Errorf("German validation: %s", res.Body)
		}
	})
}
