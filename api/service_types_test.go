package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
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

// The type filter takes a service's type too, where the caller can see runs
// of it: a list, the platform's list and a bulk action find the service's
// runs by it, and a member who sees none of them is told the types there are
// to choose from, which do not include it.
func TestTheTypeFilterTakesAServiceTypeTheCallerHasRunsOf(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		service := reckontest.ServiceLedger(t)
		run := reckontest.ServiceRun(t, db, service, scopeOf(w.envA2), "sync")
		w.run(t, scopeOf(w.envA2), reckon.RunTypeReviewCompose, "compose")
		filter := "?type=" + string(reckontest.ServiceType)

		for _, list := range []struct{ token, path string }{
			{w.readonly, "/api/v1/workspaces/" + w.wsA.Slug + "/operations" + filter},
			{w.readonly, "/api/v1/workspaces/" + w.wsA.Slug + "/operations" + filter + "&format=json"},
			{w.support, "/api/v1/system/operations" + filter},
		} {
			res := w.get(t, list.token, list.path)
			expect(t, res, http.StatusOK)
			if ids := operationIDs(t, res); fmt.Sprint(ids) != fmt.Sprint([]int64{run.ID}) {
				t.Errorf("%s: runs %v, want the service's run %d", list.path, ids, run.ID)
			}
		}

		// The member entitled to the other environment sees no run of the type.
		res := w.get(t, w.restricted, "/api/v1/workspaces/"+w.wsA.Slug+"/operations"+filter)
		expect(t, res, http.StatusUnprocessableEntity)
		allowed, _ := fieldsOf(res)["type"].(string)
		if strings.Contains(allowed, string(reckontest.ServiceType)) || !strings.Contains(allowed, string(reckon.RunTypeReviewCompose)) {
			t.Errorf("the restricted member's choices: %q", allowed)
		}
		res = w.get(t, w.readonly, "/api/v1/workspaces/"+w.wsA.Slug+"/operations?type=unknown.kind")
		expect(t, res, http.StatusUnprocessableEntity)
		if allowed, _ := fieldsOf(res)["type"].(string); !strings.Contains(allowed, string(reckontest.ServiceType)) {
			t.Errorf("the choices of a member who sees the service's run: %q", allowed)
		}

		res = w.post(t, w.operator, "/api/v1/workspaces/"+w.wsA.Slug+"/operations/bulk",
			`{"action": "cancel", "filter": {"type": "`+string(reckontest.ServiceType)+`"}}`)
		if expect(t, res, http.StatusOK); res.JSON["matched"] != 1.0 || res.JSON["changed"] != 1.0 {
			t.Fatalf("bulk cancel of the service's runs: %s", res.Body)
		}
	})
}

// A run of a service's type carries the label the service's process
// published (Catalog.Publish), in the caller's language, once the API has
// read it: within a request or two of the publication.
func TestARunOfAServiceTypeCarriesItsPublishedLabel(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		service := reckontest.ServiceLedger(t)
		run := reckontest.ServiceRun(t, db, service, scopeOf(w.envA1), "sync")
		label := func(lang string) any {
			res := w.do(t, req{method: http.MethodGet, path: w.opPath(run.ID, ""), token: w.readonly, header: map[string]string{"Accept-Language": lang}})
			expect(t, res, http.StatusOK)
			return res.JSON["type_label"]
		}
		if got := label("en"); got != string(reckontest.ServiceType) {
			t.Fatalf("label before the service published: %v, want the type's key", got)
		}
		if err := service.Catalog().Publish(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); label("en") != "Inventory sync"; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("label %v, want the published one", label("en"))
			}
		}
		if got := label("de"); got != "Inventarabgleich" {
			t.Fatalf("German label %v", got)
		}
	})
}
