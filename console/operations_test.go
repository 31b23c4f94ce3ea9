package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/review"
)

// history is a workspace's runs in every state the console explains.
type history struct {
	succeeded *reckon.Run // compose, succeeded by its job, in envA1
	review    *reckon.Review
	stale     *reckon.Run    // compose, never worked, failed by the reconciler past its deadline, in envA1
	blocked   *reckon.Run    // compose, blocked: two current reviews of its fingerprint, in envA1
	twin      *reckon.Review // the ready review beside the published review, which blocks it
	queued    *reckon.Run    // compose, queued, in envA2
	foreign   *reckon.Run    // a run of workspace B
}

var baseFindings = []reckon.Finding{
	finding("AAD.1", "Phishing-resistant MFA for administrators", "AAD", reckon.SeverityCritical, reckon.FindingFail),
	finding("AAD.2", "Legacy authentication blocked", "AAD", reckon.SeverityHigh, reckon.FindingPass),
	finding("EXO.1", "External forwarding disabled", "EXO", reckon.SeverityHigh, reckon.FindingFail),
	finding("TEAMS.1", "External access restricted", "Teams", reckon.SeverityMedium, reckon.FindingWarning),
}

func (w *world) history(t *testing.T) *history {
	t.Helper()
	ctx := context.Background()
	h := &history{}
	w.importSnapshot(t, w.envA1, start.Add(-time.Hour), baseFindings...)
	h.review, h.succeeded = w.composed(t, w.envA1, w.users["operator"])

	// A run nobody worked: past its queued deadline the reconciler fails it.
	h.stale = w.queuedRun(t, w.envA1, "never-worked")
	w.clock.Advance(16 * time.Minute)
	run, changed, err := w.rec.ReconcileRun(ctx, w.wsA.ID, h.stale.ID, "reconciler")
	if err != nil || !changed {
		t.Fatalf("reconcile stale run: %v %v", changed, err)
	}
	h.stale = run

	// Two current reviews of one fingerprint, as a migration might leave:
	// the run that asks which is its result is blocked.
	if _, err := w.reviews.Publish(ctx, w.wsA.ID, h.review.ID, w.users["manager"].ID); err != nil {
		t.Fatal(err)
	}
	h.twin = w.fx.ReadyTwin(h.review)
	h.blocked = w.queuedRun(t, w.envA1, h.review.Fingerprint)
	if h.blocked, _, err = w.rec.ReconcileRun(ctx, w.wsA.ID, h.blocked.ID, "user:1"); err != nil {
		t.Fatal(err)
	}
	if h.blocked.Outcome != reckon.OutcomeBlocked {
		t.Fatalf("blocked run: %s", h.blocked.Outcome)
	}

	h.queued = w.queuedRun(t, w.envA2, "waiting")
	h.foreign = w.queuedRun(t, w.envB, "foreign")
	return h
}

// rowIDs lists the runs a list page shows, in order.
func rowIDs(p *page) []int64 {
	var ids []int64
	for _, m := range regexp.MustCompile(`<tr id="run-(\d+)"`).FindAllStringSubmatch(p.body, -1) {
		var id int64
		fmt.Sscan(m[1], &id)
		ids = append(ids, id)
	}
	return ids
}

func ids(runs ...*reckon.Run) []int64 {
	out := make([]int64, len(runs))
	for i, r := range runs {
		out[i] = r.ID
	}
	return out
}

func TestOperationsListFiltersBadgesAndTimes(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		list := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		owner := w.as(t, "owner")
		p := owner.get(t, list)
		expect(t, p, http.StatusOK, en("console.operations.title"),
			`<label for="filter-type">`, `<label for="filter-status">`, `<label for="filter-outcome">`,
			`<label for="filter-environment">`, `<label for="filter-reconciled">`,
			`<span class="badge badge-ok">Succeeded</span>`, `<span class="badge badge-bad">Failed</span>`,
			`<span class="badge badge-warn">Blocked</span>`, `<span class="badge badge-active">Queued</span>`,
			// The stale run was settled by the reconciler; the job's own
			// decision is no reconciliation.
			`<tr id="run-`+fmt.Sprint(h.queued.ID)+`" data-live>`,
			// Relative and absolute times.
			"16 minutes ago", start.Format("2006-01-02 15:04:05 UTC"), `datetime="`+start.Format(time.RFC3339)+`"`,
			// A failed run's row says why.
			en(review.ReasonNotProduced))
		if got, want := fmt.Sprint(rowIDs(p)), fmt.Sprint(ids(h.queued, h.blocked, h.stale, h.succeeded)); got != want {
			t.Fatalf("rows %s, want %s", got, want)
		}
		if n := strings.Count(p.body, `<span class="marker"`); n != 2 {
			t.Fatalf("%d reconciled markers, want 2 (stale and blocked)", n)
		}

		for _, c := range []struct {
			query string
			want  []*reckon.Run
		}{
			{"?outcome=failed", []*reckon.Run{h.stale}},
			{"?outcome=blocked", []*reckon.Run{h.blocked}},
			{"?status=queued", []*reckon.Run{h.queued}},
			{"?status=completed&outcome=succeeded", []*reckon.Run{h.succeeded}},
			{fmt.Sprintf("?environment=%d", w.envA2.ID), []*reckon.Run{h.queued}},
			{"?reconciled=1", []*reckon.Run{h.blocked, h.stale}},
			{"?type=restore.execute", nil},
			{fmt.Sprintf("?environment=%d", w.envB.ID), nil},
		} {
			p := owner.get(t, list+c.query)
			expect(t, p, http.StatusOK)
			if got, want := fmt.Sprint(rowIDs(p)), fmt.Sprint(ids(c.want...)); got != want {
				t.Errorf("%s: rows %s, want %s", c.query, got, want)
			}
			if len(c.want) == 0 {
				expect(t, p, http.StatusOK, en("console.operations.empty"))
			}
		}
		// The chosen filters stay chosen; values that are not choices are
		// ignored, and the page says so.
		p = owner.get(t, list+"?outcome=failed&reconciled=1")
		expect(t, p, http.StatusOK, `<option value="failed" selected>`, `name="reconciled" value="1" checked`, en("console.filter.clear"))
		p = owner.get(t, list+"?status=stuck&outcome=maybe&environment=x&before=-3")
		expect(t, p, http.StatusOK, en("console.filter.ignored"))
		if len(rowIDs(p)) != 4 {
			t.Fatalf("ignored filters still filter: %v", rowIDs(p))
		}

		// A restricted member sees their environment's runs only, even
		// when asking for another.
		restricted := w.as(t, "restricted")
		if got, want := fmt.Sprint(rowIDs(restricted.get(t, list))), fmt.Sprint(ids(h.blocked, h.stale, h.succeeded)); got != want {
			t.Errorf("restricted rows %s, want %s", got, want)
		}
		if got := rowIDs(restricted.get(t, list+fmt.Sprintf("?environment=%d", w.envA2.ID))); len(got) != 0 {
			t.Errorf("restricted, other environment: %v", got)
		}
		// Another workspace is not found, not forbidden.
		expect(t, w.as(t, "outsider").get(t, list), http.StatusNotFound, en("console.error.not_found"))
		expect(t, w.as(t, "support").get(t, list), http.StatusNotFound)
		expect(t, owner.get(t, "/admin/workspaces/no-such-workspace/operations"), http.StatusNotFound)

		// German labels and dates.
		owner.lang = "de"
		p = owner.get(t, list)
		expect(t, p, http.StatusOK, "Vorgänge", "Erfolgreich", "Fehlgeschlagen", "vor 16 Minuten", start.Format("02.01.2006, 15:04:05 UTC"),
			de(review.ReasonNotProduced))
	})
}

func TestOperationsListPagesByKeyset(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		var want []int64
		for i := range 30 {
			want = append([]int64{w.queuedRun(t, w.envA1, fmt.Sprint("k", i)).ID}, want...)
		}
		owner := w.as(t, "owner")
		list := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		first := owner.get(t, list+"?status=queued")
		if got := rowIDs(first); fmt.Sprint(got) != fmt.Sprint(want[:25]) {
			t.Fatalf("first page %v, want %v", got, want[:25])
		}
		older := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(first.body)
		if older == nil {
			t.Fatalf("no link to older runs:\n%s", first.body)
		}
		next := strings.ReplaceAll(older[1], "&amp;", "&")
		if !strings.Contains(next, "status=queued") {
			t.Fatalf("the next page forgets the filter: %s", next)
		}
		// A run that arrives between pages does not shift the next one.
		w.queuedRun(t, w.envA1, "late")
		second := owner.get(t, next)
		if got := rowIDs(second); fmt.Sprint(got) != fmt.Sprint(want[25:]) {
			t.Fatalf("second page %v, want %v", got, want[25:])
		}
		expect(t, second, http.StatusOK, en("console.pager.newest"))
		lacks(t, second, `rel="next"`)
	})
}

// decisionIndex is where the page's sections start, to check their order.
func sectionOrder(t *testing.T, p *page) {
	t.Helper()
	decision := strings.Index(p.body, `id="decision-heading"`)
	diagnostics := strings.Index(p.body, `id="diagnostics-heading"`)
	raw := strings.Index(p.body, `<details class="raw">`)
	if decision < 0 || diagnostics < decision || raw < diagnostics {
		t.Fatalf("sections out of order: decision %d, diagnostics %d, raw %d", decision, diagnostics, raw)
	}
	if strings.Contains(p.body, `<details class="raw" open`) {
		t.Fatal("the raw context is not collapsed")
	}
}

func TestOperationDetailIsDecisionFirst(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		operator, readonly := w.as(t, "operator"), w.as(t, "readonly")

		// Succeeded: the review it produced, from the job's own record.
		p := readonly.get(t, opPath(w.wsA, h.succeeded.ID))
		expect(t, p, http.StatusOK, en("console.operation.title", "id", fmt.Sprint(h.succeeded.ID)), en(review.ReasonAvailable),
			`<a class="button button-primary" href="`+reviewPath(w.wsA, h.review.ID)+`">`+en("console.action.view_review"),
			"<code>"+review.ReasonAvailable+"</code>", "<code>"+h.succeeded.Context.Fingerprint+"</code>",
			en("console.source.compose_job"), w.users["operator"].Name)
		sectionOrder(t, p)
		lacks(t, p, `id="run-state" data-live`, `<span class="marker">`)

		// Failed by the reconciler: the deadline it missed, the way back.
		p = readonly.get(t, opPath(w.wsA, h.stale.ID))
		expect(t, p, http.StatusOK, en(review.ReasonNotProduced), `<span class="marker">`,
			en("console.source.adapter"), en("console.diag.missed_deadline"),
			`href="`+envPath(w.envA1, w.wsA)+`">`+en("console.action.open_environment"))
		sectionOrder(t, p)

		// Blocked: what happened, and plainly what to check, with the
		// considered reviews as links.
		p = operator.get(t, opPath(w.wsA, h.blocked.ID))
		expect(t, p, http.StatusOK, en(review.ReasonAmbiguous), en("console.operation.check"), en("console.check.review_ambiguous"),
			en("console.diag.considered_reviews"), `<a href="`+reviewPath(w.wsA, h.review.ID)+`">#`)
		considered := h.blocked.Context.Reconciliation.Evidence.ConsideredReviewIDs
		if len(considered) != 2 {
			t.Fatalf("considered reviews %v", considered)
		}
		for _, id := range considered {
			expect(t, p, http.StatusOK, fmt.Sprintf(`<a href="%s">#%d</a>`, reviewPath(w.wsA, id), id))
		}

		// Active: it says when it will be settled, refreshes itself, and
		// offers Reconcile now to those who may.
		p = operator.get(t, opPath(w.wsA, h.queued.ID))
		deadline := locale.FormatTime("en", h.queued.DeadlineAt)
		expect(t, p, http.StatusOK, en("console.decision.queued", "deadline", deadline), `id="run-state" data-live`,
			`<form method="post" action="`+opPath(w.wsA, h.queued.ID)+`/reconcile"`, en("console.action.reconcile_now"))
		p = readonly.get(t, opPath(w.wsA, h.queued.ID))
		expect(t, p, http.StatusOK, en("console.action.open_environment"))
		lacks(t, p, en("console.action.reconcile_now"))

		// In German, every sentence in German.
		readonly.lang = "de"
		p = readonly.get(t, opPath(w.wsA, h.blocked.ID))
		expect(t, p, http.StatusOK, de(review.ReasonAmbiguous), de("console.check.review_ambiguous"), "Entscheidung", "Diagnose")
		p = readonly.get(t, opPath(w.wsA, h.queued.ID))
		expect(t, p, http.StatusOK, de("console.decision.queued", "deadline", locale.FormatTime("de", h.queued.DeadlineAt)))

		// Not found across workspaces and entitlements, and for nonsense.
		for _, path := range []string{opPath(w.wsA, h.foreign.ID), opPath(w.wsB, h.succeeded.ID), opPath(w.wsA, 999999),
			"/admin/workspaces/" + w.wsA.Slug + "/operations/abc"} {
			expect(t, operator.get(t, path), http.StatusNotFound, en("console.error.not_found"))
		}
		expect(t, w.as(t, "restricted").get(t, opPath(w.wsA, h.queued.ID)), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, opPath(w.wsA, h.succeeded.ID)), http.StatusNotFound)
	})
}

func TestReconcileNow(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		path := opPath(w.wsA, h.queued.ID) + "/reconcile"
		// Above the role: forbidden; another workspace: not found.
		expect(t, w.as(t, "readonly").post(t, path, nil), http.StatusForbidden)
		expect(t, w.as(t, "outsider").post(t, path, nil), http.StatusNotFound)
		expect(t, w.as(t, "restricted").post(t, path, nil), http.StatusNotFound)
		if run := w.run(t, w.wsA.ID, h.queued.ID); run.Status != reckon.RunQueued {
			t.Fatalf("a refused reconcile changed the run: %s", run.Status)
		}

		operator := w.as(t, "operator")
		// Within its deadline nothing proves an outcome: it stays.
		p := operator.follow(t, operator.post(t, path, nil))
		expect(t, p, http.StatusOK, `class="flash flash-info"`, en("console.flash.reconcile_no_proof"))
		// Past it, the reconciler settles it, and the page says how.
		w.clock.Advance(time.Hour)
		p = operator.follow(t, operator.post(t, path, nil))
		expect(t, p, http.StatusOK, `class="flash flash-success"`, en("console.flash.reconciled", "outcome", en("console.outcome.failed")),
			en(review.ReasonNotProduced))
		lacks(t, p, `id="run-state" data-live`)
		// The flash is shown once.
		lacks(t, operator.get(t, opPath(w.wsA, h.queued.ID)), `class="flash`)
		// Again: nothing to do.
		p = operator.follow(t, operator.post(t, path, url.Values{}))
		expect(t, p, http.StatusOK, en("console.flash.already_completed"))
	})
}
