package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// A service that imports reckon creates runs of its own type on reckon's
// database (docs/adapters.md). The API beside it shows them and lets an
// operator act on them, but never judges them: only the service's process
// has the adapter that proves them.
func TestRunsOfAServiceTypeAreShownAndActedOnButNotJudged(t *testing.T) {
	t.Parallel()
	clock := reckontest.NewClock(reckontest.Epoch())
	reckontest.EachEngineAt(t, clock.Now, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		service := reckontest.ServiceLedger(t)
		stale := reckontest.ServiceRun(t, db, service, scopeOf(w.envA1), "stale")
		cancelled := reckontest.ServiceRun(t, db, service, scopeOf(w.envA1), "cancelled")
		clock.Advance(time.Hour)

		list := w.get(t, w.readonly, "/api/v1/workspaces/"+w.wsA.Slug+"/operations")
		expect(t, list, http.StatusOK)
		if items, _ := list.JSON["operations"].([]any); len(items) != 2 || items[0].(map[string]any)["type_label"] != string(reckontest.ServiceType) {
			t.Fatalf("list of the service's runs: %s", list.Body)
		}
		expect(t, w.get(t, w.readonly, w.opPath(stale.ID, "")), http.StatusOK)

		res := w.post(t, w.operator, w.opPath(stale.ID, "reconcile"), "")
		if expect(t, res, http.StatusConflict); !strings.Contains(res.errorMessage(), string(reckontest.ServiceType)) {
			t.Fatalf("reconcile now of the service's run: %s", res.Body)
		}
		expect(t, w.post(t, w.support, "/api/v1/system/reconcile", ""), http.StatusOK)
		if got := w.get(t, w.readonly, w.opPath(stale.ID, "")); got.JSON["status"] != "queued" {
			t.Fatalf("a sweep judged the service's run past its deadline: %s", got.Body)
		}
		// A bulk reconcile over both skips them, as it skips any run it does not apply to.
		res = w.post(t, w.operator, "/api/v1/workspaces/"+w.wsA.Slug+"/operations/bulk", `{"action": "reconcile", "filter": {"status": "queued"}}`)
		if expect(t, res, http.StatusOK); res.JSON["matched"] != 2.0 || res.JSON["changed"] != 0.0 || res.JSON["skipped"] != 2.0 {
			t.Fatalf("bulk reconcile of the service's runs: %s", res.Body)
		}
		// Left alone, but not out of sight: both count as past their deadline.
		w.tx(t, func(tx *store.Tx) error {
			a, err := tx.RunAttentionOf(context.Background(), scopeOf(w.envA1), tx.Now())
			if err == nil && a.PastDeadline != 2 {
				t.Errorf("attention %+v, want both runs past their deadline", a)
			}
			return err
		})

		res = w.post(t, w.operator, w.opPath(cancelled.ID, "cancel"), `{"note": "not needed"}`)
		if expect(t, res, http.StatusOK); objectOf(t, res, "operation")["outcome"] != "cancelled" {
			t.Fatalf("cancel of the service's run: %s", res.Body)
		}
		want := []string{fmt.Sprintf("run.completed user:%d not needed", w.userOf(t, w.operator))}
		if got := w.runActions(t, cancelled.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit: %q, want %q", got, want)
		}

		// The service's own sweep fails the stale run; an operator acknowledges it here.
		if res, err := reconcile.New(db, service, nil).Sweep(context.Background()); err != nil || res.Settled != 1 {
			t.Fatalf("the service's sweep: %+v, %v; want its stale run settled", res, err)
		}
		res = w.post(t, w.operator, w.opPath(stale.ID, "acknowledge"), "")
		if expect(t, res, http.StatusOK); res.JSON["changed"] != true || objectOf(t, res, "operation")["outcome"] != "failed" {
			t.Fatalf("acknowledge of the service's run: %s", res.Body)
		}
		res = w.post(t, w.operator, w.opPath(stale.ID, "retry"), "")
		if expect(t, res, http.StatusConflict); !strings.Contains(res.errorMessage(), string(reckontest.ServiceType)) {
			t.Fatalf("retry of the service's run: %s", res.Body)
		}
	})
}
