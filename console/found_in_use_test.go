package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// The dashboard's tiles lead to the runs they count: past deadline to the
// active runs past it, partially succeeded restores counted and listed;
// the workspace page's attention count leads to the dashboard.
func TestAttentionLinksToItsRuns(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		operator := w.as(t, "operator")
		ops := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		pastDeadline := fmt.Sprintf(`href="%s?environment=%d&amp;past_deadline=true"`, ops, w.envA2.ID)
		p := operator.get(t, envPath(w.envA2, w.wsA))
		expect(t, p, http.StatusOK, pastDeadline,
			`<span class="tile-count">0</span> <span class="tile-label">`+en("console.attention.past_deadline"))
		lacks(t, p, "outcome=pending")
		// Within its deadline the queued run is not listed; past it, it is.
		list := fmt.Sprintf("%s?environment=%d&past_deadline=true", ops, w.envA2.ID)
		if got := rowIDs(operator.get(t, list)); len(got) != 0 {
			t.Fatalf("past deadline before the deadline: %v", got)
		}
		w.clock.Advance(time.Hour)
		p = operator.get(t, list)
		if got := fmt.Sprint(rowIDs(p)); got != fmt.Sprint(ids(h.queued)) {
			t.Fatalf("past deadline: %s, want %v", got, ids(h.queued))
		}
		expect(t, p, http.StatusOK, `id="filter-past-deadline" name="past_deadline" value="1" checked`)
		// Completed runs are never past their deadline.
		if got := rowIDs(operator.get(t, ops+"?past_deadline=true")); fmt.Sprint(got) != fmt.Sprint(ids(h.queued)) {
			t.Fatalf("past deadline, whole workspace: %v", got)
		}
		expect(t, operator.get(t, ops+"?past_deadline=maybe"), http.StatusOK, en("console.filter.ignored"))

		// A restore with one bad item partially succeeds and needs attention.
		w.restored(t, w.envA2, "backup-1", w.users["operator"].ID,
			restore.Item{Key: "good", Payload: json.RawMessage(`{"kind": "user"}`)},
			restore.Item{Key: "bad", Payload: json.RawMessage(`{"name": "no kind"}`)},
		)
		p = operator.get(t, envPath(w.envA2, w.wsA))
		expect(t, p, http.StatusOK,
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.attention.partial"),
			fmt.Sprintf(`href="%s?environment=%d&amp;outcome=partially_succeeded"`, ops, w.envA2.ID))
		// The workspace page counts it too, and links each count to its
		// dashboard: envA2 has the overdue run and the partial restore.
		p = operator.get(t, "/admin/workspaces/"+w.wsA.Slug)
		expect(t, p, http.StatusOK,
			fmt.Sprintf(`<a href="%s#attention-heading" class="attention-link"><span class="badge badge-warn">2</span></a>`, envPath(w.envA2, w.wsA)))
	})
}

// A restore's failed items are on its run's page: key and safe error,
// never the payload.
func TestRestoreRunShowsFailedItems(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		st := w.restored(t, w.envA1, "backup-2", w.users["operator"].ID,
			restore.Item{Key: "alpha", Payload: json.RawMessage(`{"kind": "group"}`)},
			restore.Item{Key: "beta", Payload: json.RawMessage(`{"secret": "s3cr3t-payload"}`)},
			restore.Item{Key: "gamma", Payload: json.RawMessage(`[1, 2]`)},
		)
		for _, lang := range []string{"en", "de"} {
			c := w.as(t, "readonly")
			c.lang = lang
			tr := en
			if lang == "de" {
				tr = de
			}
			p := c.get(t, opPath(w.wsA, st.Run.ID))
			expect(t, p, http.StatusOK, tr("console.operation.failed_items"),
				`<code>beta</code>`, tr(restore.ItemMissingKind), `<code>`+restore.ItemMissingKind+`</code>`,
				`<code>gamma</code>`, tr(restore.ItemInvalidPayload))
			lacks(t, p, `<code>alpha</code>`, "s3cr3t-payload")
		}
		// A restore without failures lists none.
		ok := w.restored(t, w.envA1, "backup-3", 0, restore.Item{Key: "alpha", Payload: json.RawMessage(`{"kind": "group"}`)})
		lacks(t, w.as(t, "readonly").get(t, opPath(w.wsA, ok.Run.ID)), en("console.operation.failed_items"))
	})
}

// restored restores items into an environment and works the restore's job.
func (w *world) restored(t *testing.T, env *reckon.Environment, backup string, by int64, items ...restore.Item) *restore.Started {
	t.Helper()
	st, err := w.restores.Start(context.Background(), scopeOf(env), backup, items, by)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.restores.Execute(context.Background(), st.Run.ID); err != nil {
		t.Fatal(err)
	}
	return st
}

func reasonOf(run *reckon.Run) string {
	if rec := run.Context.Reconciliation; rec != nil {
		return rec.ReasonCode
	}
	return ""
}

// A run reconciled without a single attempt says no worker picked it up;
// a failed compose run of that kind offers Compose again to those who may:
// its retry, which composes the environment's newest evidence.
func TestRunNoWorkerPickedUp(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		operator := w.as(t, "operator")
		p := operator.get(t, opPath(w.wsA, h.stale.ID))
		expect(t, p, http.StatusOK, en("console.decision.never_picked_up")+" "+en(review.ReasonNotProduced),
			`<form method="post" action="`+opPath(w.wsA, h.stale.ID)+`/retry"`, en("console.action.compose_again"))
		// A blocked run keeps its advice.
		p = operator.get(t, opPath(w.wsA, h.blocked.ID))
		expect(t, p, http.StatusOK, en("console.decision.never_picked_up")+" "+en(review.ReasonAmbiguous), en("console.action.open_environment"))
		lacks(t, p, en("console.action.compose_again"))
		// A run its job worked does not say it.
		lacks(t, operator.get(t, opPath(w.wsA, h.succeeded.ID)), en("console.decision.never_picked_up"))
		// Readonly members may not compose: they get Open environment.
		p = w.as(t, "readonly").get(t, opPath(w.wsA, h.stale.ID))
		expect(t, p, http.StatusOK, en("console.action.open_environment"))
		lacks(t, p, en("console.action.compose_again"))
		// Compose again composes the environment's newest evidence, whose
		// review is up to date: nothing to run, and the page says so.
		p = operator.follow(t, operator.post(t, opPath(w.wsA, h.stale.ID)+"/retry", nil))
		text, _ := flashOf(t, p)
		if !strings.Contains(text, en("console.flash.retry_up_to_date")) {
			t.Fatalf("compose again: %s", text)
		}
		// The stale-queue reason says it itself, once; a restore has no
		// Compose again.
		st, err := w.restores.Start(context.Background(), scopeOf(w.envA2), "backup-4", []restore.Item{
			{Key: "alpha", Payload: json.RawMessage(`{"kind": "group"}`)}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Hour)
		if run, _, err := w.rec.ReconcileRun(context.Background(), w.wsA.ID, st.Run.ID, "reconciler"); err != nil ||
			reasonOf(run) != reckon.ReasonStaleQueued {
			t.Fatalf("reconcile the restore: %+v %v", run, err)
		}
		p = operator.get(t, opPath(w.wsA, st.Run.ID))
		expect(t, p, http.StatusOK, en(reckon.ReasonStaleQueued), en("console.action.open_environment"))
		lacks(t, p, en("console.decision.never_picked_up"), en("console.action.compose_again"))
		// German.
		operator.lang = "de"
		expect(t, operator.get(t, opPath(w.wsA, h.blocked.ID)), http.StatusOK, de("console.decision.never_picked_up"))
	})
}

// A run whose draft another run took over links to it and back, and the
// review it names shows the status the reconciliation saw.
func TestDraftTakeoverLinksBothWays(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		snap := w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		first, err := w.reviews.Compose(ctx, scopeOf(w.envA2), w.users["operator"].ID)
		if err != nil || first.Result != review.ResultQueued {
			t.Fatalf("compose: %+v %v", first, err)
		}
		// Its worker wrote the draft and vanished.
		var draft *reckon.Review
		w.tx(t, func(tx *store.Tx) (err error) {
			draft, err = tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scopeOf(w.envA2),
				EvidenceSnapshotID: snap.ID, Fingerprint: first.Run.Context.Fingerprint, OperationRunID: first.Run.ID})
			return err
		})
		w.clock.Advance(time.Hour)
		stalled, _, err := w.rec.ReconcileRun(ctx, w.wsA.ID, first.Run.ID, "reconciler")
		if err != nil || stalled.Status != reckon.RunCompleted {
			t.Fatalf("reconcile: %+v %v", stalled, err)
		}
		if rec := stalled.Context.Reconciliation; rec == nil || rec.Evidence.ReviewID != draft.ID {
			t.Fatalf("reconciliation does not name the draft: %+v", stalled.Context.Reconciliation)
		}
		second, err := w.reviews.Compose(ctx, scopeOf(w.envA2), w.users["operator"].ID)
		if err != nil || second.Result != review.ResultQueued {
			t.Fatalf("compose again: %+v %v", second, err)
		}
		w.deliver(t, second.Run.ID)
		if v := w.reviewOf(t, second.Run); v.ID != draft.ID || v.Status != reckon.ReviewReady {
			t.Fatalf("second run's review: %+v, want the taken-over draft %d ready", v, draft.ID)
		}

		c := w.as(t, "readonly")
		p := c.get(t, opPath(w.wsA, first.Run.ID))
		// The review as the reconciliation saw it: a draft, though it is
		// ready now.
		expect(t, p, http.StatusOK, en("console.diag.review_status_then"),
			`<span class="badge badge-active">`+en("review.status.draft")+`</span>`,
			en("console.diag.taken_over_by"), `href="`+opPath(w.wsA, second.Run.ID)+`"`)
		p = c.get(t, opPath(w.wsA, second.Run.ID))
		expect(t, p, http.StatusOK, en(review.ReasonTookOverStaleDraft), en("console.diag.took_over_from"),
			`href="`+opPath(w.wsA, first.Run.ID)+`"`)
		lacks(t, p, en("console.diag.taken_over_by"))
		p = c.get(t, reviewPath(w.wsA, draft.ID))
		expect(t, p, http.StatusOK, en("console.review.draft_left_by"), `href="`+opPath(w.wsA, first.Run.ID)+`"`,
			`href="`+opPath(w.wsA, second.Run.ID)+`"`)
	})
}

// Review history does not contradict itself: only the environment's first
// review says so, a review on the same evidence as an earlier one names
// it, and a review older than the environment's newest evidence is stale.
func TestReviewHistoryIsConsistent(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t) // h.review and its imported twin share a fingerprint
		var twin *reckon.Review
		w.tx(t, func(tx *store.Tx) (err error) {
			twin, err = tx.EarlierReview(context.Background(), w.wsA.ID, w.envA1.ID, 1<<40)
			return err
		})
		if twin.ID == h.review.ID || twin.Fingerprint != h.review.Fingerprint {
			t.Fatalf("the twin: %+v", twin)
		}
		c := w.as(t, "readonly")
		expect(t, c.get(t, reviewPath(w.wsA, h.review.ID)), http.StatusOK, en("console.review.first"))
		p := c.get(t, reviewPath(w.wsA, twin.ID))
		expect(t, p, http.StatusOK, en("console.review.no_baseline"), `href="`+reviewPath(w.wsA, h.review.ID)+`"`)
		// It supersedes nothing, which says "None", not "no earlier review".
		expect(t, p, http.StatusOK, "<dt>"+en("console.review.supersedes")+`</dt><dd><span class="muted">`+en("console.review.supersedes_none")+"</span>")
		lacks(t, p, en("console.review.first"), "No earlier review", `class="badge badge-warn stale"`)

		// A review of newer evidence compares with the published one and
		// supersedes the ready twin.
		w.importSnapshot(t, w.envA1, start.Add(-30*time.Minute), baseFindings[:2]...)
		newer, _ := w.composed(t, w.envA1, nil)
		p = c.get(t, reviewPath(w.wsA, newer.ID))
		expect(t, p, http.StatusOK, en("console.review.baseline"), `href="`+reviewPath(w.wsA, twin.ID)+`"`)
		lacks(t, p, en("console.review.first"), `class="badge badge-warn stale"`)

		// Older reviews are stale now, on their page, in the list and on the
		// dashboards; the newest is not.
		stale := `<span class="badge badge-warn stale" title="` + en("console.review.stale_hint") + `">` + en("console.review.stale") + `</span>`
		expect(t, c.get(t, reviewPath(w.wsA, h.review.ID)), http.StatusOK, stale)
		p = c.get(t, "/admin/workspaces/"+w.wsA.Slug+"/reviews")
		if n := strings.Count(p.body, stale); n != 2 {
			t.Fatalf("review list shows %d stale reviews, want 2 (the first and its twin)", n)
		}
		lacks(t, c.get(t, envPath(w.envA1, w.wsA)), stale)
		w.importSnapshot(t, w.envA1, start.Add(-10*time.Minute), baseFindings[:1]...)
		expect(t, c.get(t, envPath(w.envA1, w.wsA)), http.StatusOK, stale)
		expect(t, c.get(t, "/admin/workspaces/"+w.wsA.Slug), http.StatusOK, stale)
		c.lang = "de"
		expect(t, c.get(t, reviewPath(w.wsA, newer.ID)), http.StatusOK, de("console.review.stale"))
	})
}

// The German wording found in use: one word per idea.
func TestGermanWording(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		c := w.as(t, "operator")
		c.lang = "de"
		var pages []*page
		for _, path := range []string{
			"/admin/workspaces/" + w.wsA.Slug, envPath(w.envA1, w.wsA), "/admin/workspaces/" + w.wsA.Slug + "/operations",
			opPath(w.wsA, h.stale.ID), opPath(w.wsA, h.blocked.ID), reviewPath(w.wsA, h.review.ID),
		} {
			p := c.get(t, path)
			expect(t, p, http.StatusOK)
			pages = append(pages, p)
		}
		all := ""
		for _, p := range pages {
			all += visibleText(p.body)
		}
		for _, old := range []string{"Grundcode", "Lauf ", "Laufs", "Roher Kontext", "Braucht Aufmerksamkeit", "Aufmerksamkeit braucht",
			"Aktiv über der Frist", "Jede Art", "Jeder Status", "Jedes Ergebnis", "Jede Umgebung", "vom vor", "Was zu prüfen"} {
			if strings.Contains(all, old) {
				t.Errorf("German pages still say %q", old)
			}
		}
		for _, want := range []string{"Ursachencode", "Handlungsbedarf", "Alle Arten", "Frist überschritten", "Angelegt", "Löst ab", "Abgelöst durch"} {
			if !strings.Contains(all, want) {
				t.Errorf("German pages lack %q", want)
			}
		}
		if de("console.review.supersedes") == de("console.review.superseded_by") || de("console.diag.created") == de("console.review.composed_at") {
			t.Error("one German word for two ideas")
		}
	})
}

// The dashboard's panels follow the page script's refresh, and a message
// about an active run names that run's row so the script can drop it.
func TestDashboardPanelsRefreshLive(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		operator := w.as(t, "operator")
		p := operator.follow(t, operator.post(t, envPath(w.envA2, w.wsA)+"/reviews", nil))
		_, href := flashOf(t, p)
		var runID int64
		if _, err := fmt.Sscanf(href, "/admin/workspaces/"+w.wsA.Slug+"/operations/%d", &runID); err != nil {
			t.Fatalf("queued link %q: %v", href, err)
		}
		expect(t, p, http.StatusOK, fmt.Sprintf(`id="flash" data-live-run="run-%d"`, runID),
			`id="attention-panel" data-live-always`, `id="review-panel" data-live-always`,
			fmt.Sprintf(`<tr id="run-%d" data-live>`, runID))
		// The refresh after the job finished carries the ready review in the
		// panel the script swaps, and the run row no longer live.
		w.deliver(t, runID)
		v := w.reviewOf(t, w.run(t, w.wsA.ID, runID))
		live := operator.do(t, http.MethodGet, envPath(w.envA2, w.wsA), nil, map[string]string{"X-Reckon-Live": "1"})
		i := strings.Index(live.body, `id="review-panel"`)
		j := strings.Index(live.body, `id="recent-heading"`)
		if i < 0 || j < i {
			t.Fatalf("no review panel:\n%s", live.body)
		}
		panel := live.body[i:j]
		for _, want := range []string{reviewPath(w.wsA, v.ID), en("review.status.ready"), en("console.action.refresh")} {
			if !strings.Contains(panel, want) {
				t.Fatalf("refreshed panel lacks %q:\n%s", want, panel)
			}
		}
		lacks(t, live, fmt.Sprintf(`<tr id="run-%d" data-live>`, runID))
		// The up-to-date message is about no active run.
		p = operator.follow(t, operator.post(t, envPath(w.envA2, w.wsA)+"/reviews", nil))
		lacks(t, p, "data-live-run")
	})
}

// After a failed sign-in the password field has the focus, the email kept.
func TestFailedSignInFocusesThePassword(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.client()
		p := c.get(t, "/login")
		expect(t, p, http.StatusOK, `name="email" value="" autocomplete="username" required autofocus>`)
		lacks(t, p, `autocomplete="current-password" required autofocus`)
		p = c.post(t, "/login", map[string][]string{"email": {w.users["operator"].Email}, "password": {"wrong"}})
		expect(t, p, http.StatusUnauthorized, en("console.login.failed"),
			`autocomplete="current-password" required autofocus>`)
		lacks(t, p, `autocomplete="username" required aria-describedby="login-error" autofocus`)
	})
}

// Platform support who is also a member gets the run's workspace and
// environment as links and the actions of their role; without a
// membership the page stays read-only.
func TestSystemRunLinksForMembers(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		support := w.as(t, "support")
		path := fmt.Sprintf("/system/ops/runs/%d", h.queued.ID)
		p := support.get(t, path)
		expect(t, p, http.StatusOK, w.wsA.Name, w.envA2.Name)
		lacks(t, p, `href="/admin/workspaces/`, en("console.action.reconcile_now"))

		w.fx.Member(w.wsA, w.users["support"], reckon.RoleOperator)
		p = support.get(t, path)
		expect(t, p, http.StatusOK, `href="/admin/workspaces/`+w.wsA.Slug+`"`, `href="`+envPath(w.envA2, w.wsA)+`"`,
			`action="`+opPath(w.wsA, h.queued.ID)+`/reconcile"`)
		// A member restricted to other environments gets no links to this one.
		w.fx.Member(w.wsA, w.users["support"], reckon.RoleOperator, w.envA1.ID)
		p = support.get(t, path)
		lacks(t, p, `href="`+envPath(w.envA2, w.wsA)+`"`, en("console.action.reconcile_now"))
		// A foreign workspace's run stays read-only.
		lacks(t, support.get(t, fmt.Sprintf("/system/ops/runs/%d", h.foreign.ID)), `href="/admin/workspaces/`)
	})
}
