package console_test

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
)

// The console beside a service that imports reckon (docs/adapters.md)
// shows the service's runs and says why it does not judge them.
func TestTheConsoleShowsAServiceRunAndLeavesItsJudgementToTheService(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		service := reckontest.ServiceLedger(t)
		run := reckontest.ServiceRun(t, w.db, service, scopeOf(w.envA1), "sync")
		w.clock.Advance(time.Hour)

		operator := w.as(t, "operator")
		expect(t, operator.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations"), http.StatusOK, opPath(w.wsA, run.ID), string(reckontest.ServiceType))
		// Cancel is offered; "Reconcile now" is not, and posted anyway it says why.
		p := operator.get(t, opPath(w.wsA, run.ID))
		expect(t, p, http.StatusOK, string(reckontest.ServiceType), opPath(w.wsA, run.ID)+"/cancel")
		lacks(t, p, opPath(w.wsA, run.ID)+"/reconcile")
		expect(t, operator.follow(t, operator.post(t, opPath(w.wsA, run.ID)+"/reconcile", nil)), http.StatusOK,
			`class="flash flash-error"`, en("reconcile.run_type_elsewhere", "type", string(reckontest.ServiceType)))
		if _, err := w.rec.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := w.run(t, w.wsA.ID, run.ID); got.Status != reckon.RunQueued {
			t.Fatalf("the console's process judged the service's run: %s/%s", got.Status, got.Outcome)
		}

		// Once the service's sweep failed it: acknowledge, but no retry here,
		// and asked anyway the run's page says why, as it does for reconcile-now.
		if res, err := reconcile.New(w.db, service, nil).Sweep(context.Background()); err != nil || res.Settled != 1 {
			t.Fatalf("the service's sweep: %+v, %v", res, err)
		}
		p = operator.get(t, opPath(w.wsA, run.ID))
		expect(t, p, http.StatusOK, opPath(w.wsA, run.ID)+"/acknowledge")
		lacks(t, p, opPath(w.wsA, run.ID)+"/retry")
		expect(t, operator.follow(t, operator.post(t, opPath(w.wsA, run.ID)+"/retry", nil)), http.StatusOK,
			`class="flash flash-error"`, en("operator.retry_type_elsewhere", "type", string(reckontest.ServiceType)))
	})
}

// A service's type is a choice of the type filter where the member sees runs
// of it, on a workspace's list, the platform's list and a bulk action's
// confirmation; elsewhere a link that names it is ignored, and says so.
func TestTheTypeFilterOffersAServiceTypeWhereItsRunsAre(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		service := reckontest.ServiceLedger(t)
		run := reckontest.ServiceRun(t, w.db, service, scopeOf(w.envA2), "sync")
		compose := w.queuedRun(t, w.envA2, "compose")
		choice := `<option value="` + string(reckontest.ServiceType) + `"`
		filter := "?type=" + string(reckontest.ServiceType)
		list := "/admin/workspaces/" + w.wsA.Slug + "/operations"

		owner := w.as(t, "owner")
		expect(t, owner.get(t, list), http.StatusOK, choice+`>`+string(reckontest.ServiceType)+`</option>`, opPath(w.wsA, compose.ID))
		for _, l := range []struct {
			c    *client
			path string
		}{{owner, list + filter}, {w.as(t, "support"), "/system/ops/runs" + filter}} {
			p := l.c.get(t, l.path)
			expect(t, p, http.StatusOK, choice+` selected>`)
			if got := fmt.Sprint(rowIDs(p)); got != fmt.Sprint([]int64{run.ID}) {
				t.Errorf("%s: rows %s, want the service's run %d", l.path, got, run.ID)
			}
		}
		expect(t, w.as(t, "operator").get(t, list+"/bulk"+filter+"&action=cancel"), http.StatusOK,
			en("console.bulk.confirm.cancel.one", "n", 1), en("console.filter.type")+": "+string(reckontest.ServiceType))

		// The member entitled to the other environment has no run of the type.
		restricted := w.as(t, "restricted")
		p := restricted.get(t, list+filter)
		lacks(t, p, choice)
		expect(t, p, http.StatusOK, en("console.filter.ignored"))
	})
}

// A service's type is named as the service's process published it
// (Catalog.Publish), in the reader's language: on the list, in its type
// filter and on the run's page. The console started before the service
// published, and names the type within a page or two after.
func TestTheConsoleNamesAServiceTypeAsTheServicePublishedIt(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		service := reckontest.ServiceLedger(t)
		run := reckontest.ServiceRun(t, w.db, service, scopeOf(w.envA1), "sync")
		list := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		operator := w.as(t, "operator")
		expect(t, operator.get(t, list), http.StatusOK, `>`+string(reckontest.ServiceType)+`</option>`)

		if err := service.Catalog().Publish(context.Background(), w.db); err != nil {
			t.Fatal(err)
		}
		named := `<option value="` + string(reckontest.ServiceType) + `">Inventory sync</option>`
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(operator.get(t, list).body, named); {
			if time.Now().After(deadline) {
				t.Fatalf("the list does not name the published type:\n%s", operator.get(t, list).body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		p := operator.get(t, list)
		expect(t, p, http.StatusOK, opPath(w.wsA, run.ID))
		if n := strings.Count(p.body, "Inventory sync"); n != 2 {
			t.Errorf("the list names the type %d times, want its row and its filter choice", n)
		}
		expect(t, operator.get(t, opPath(w.wsA, run.ID)), http.StatusOK, "Inventory sync")
		operator.lang = "de"
		expect(t, operator.get(t, opPath(w.wsA, run.ID)), http.StatusOK, "Inventarabgleich")
		lacks(t, operator.get(t, list), "Inventory sync")
	})
}
