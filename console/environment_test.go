package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEnvironmentDashboard(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		readonly := w.as(t, "readonly")
		p := readonly.get(t, envPath(w.envA1, w.wsA))
		expect(t, p, http.StatusOK, w.envA1.Name, en("console.environment.attention"),
			// One blocked, one failed, nothing active past its deadline.
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.attention.blocked"),
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.attention.failed"),
			`<span class="tile-count">0</span> <span class="tile-label">`+en("console.attention.past_deadline"),
			fmt.Sprintf(`href="/admin/workspaces/%s/operations?environment=%d&amp;outcome=blocked"`, w.wsA.Slug, w.envA1.ID),
			// The latest review is the imported twin; the recent runs follow.
			en("console.environment.latest_review"), en("console.environment.recent"), en("console.environment.all_runs"))
		if got, want := fmt.Sprint(rowIDs(p)), fmt.Sprint(ids(h.blocked, h.stale, h.succeeded)); got != want {
			t.Fatalf("recent runs %s, want %s", got, want)
		}
		// Readonly members see no compose action.
		lacks(t, p, `id="compose-button"`)

		// An environment without trouble says so; past a deadline, it counts.
		p = readonly.get(t, envPath(w.envA2, w.wsA))
		expect(t, p, http.StatusOK, `<span class="tile-count">0</span> <span class="tile-label">`+en("console.attention.past_deadline"),
			en("console.environments.no_review"), `id="run-`+fmt.Sprint(h.queued.ID)+`" data-live`)
		w.clock.Advance(time.Hour)
		p = readonly.get(t, envPath(w.envA2, w.wsA))
		expect(t, p, http.StatusOK, `<span class="tile-count">1</span> <span class="tile-label">`+en("console.attention.past_deadline"))

		// Not found across workspaces and entitlements.
		expect(t, readonly.get(t, envPath(w.envB, w.wsA)), http.StatusNotFound)
		expect(t, readonly.get(t, envPath(w.envA1, w.wsB)), http.StatusNotFound)
		expect(t, w.as(t, "restricted").get(t, envPath(w.envA2, w.wsA)), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, envPath(w.envA1, w.wsA)), http.StatusNotFound)

		// The workspace page lists the environments the member sees.
		p = w.as(t, "restricted").get(t, "/admin/workspaces/"+w.wsA.Slug)
		expect(t, p, http.StatusOK, w.wsA.Name, w.envA1.Name, `<span class="badge badge-warn">2</span>`)
		lacks(t, p, w.envA2.Name)
	})
}

// flashOf returns the flash message of a page and its link.
func flashOf(t *testing.T, p *page) (text, href string) {
	t.Helper()
	i := strings.Index(p.body, `<div class="flash`)
	if i < 0 {
		t.Fatalf("no flash on the page:\n%s", p.body)
	}
	block := p.body[i:]
	block = block[:strings.Index(block, "</div>")]
	if j := strings.Index(block, `<a href="`); j >= 0 {
		href = block[j+len(`<a href="`):]
		href = href[:strings.Index(href, `"`)]
	}
	return block, href
}

// Compose from the dashboard answers one of three messages, each with its
// link, after a redirect.
func TestComposeFeedbackAfterRedirect(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		operator := w.as(t, "operator")
		dashboard := envPath(w.envA2, w.wsA)
		compose := dashboard + "/reviews"

		// Without evidence: an error message on the dashboard, no run.
		p := operator.post(t, compose, nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != dashboard {
			t.Fatalf("compose answers %d %s", p.status, p.header.Get("Location"))
		}
		p = operator.follow(t, p)
		text, _ := flashOf(t, p)
		if !strings.Contains(text, "flash-error") || !strings.Contains(text, en("review.error.no_evidence")) {
			t.Fatalf("no evidence: %s", text)
		}

		w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		p = operator.get(t, dashboard)
		expect(t, p, http.StatusOK, `id="compose-button">`+en("console.action.compose"))

		// Queued, with Open operation.
		p = operator.follow(t, operator.post(t, compose, nil))
		text, href := flashOf(t, p)
		if !strings.Contains(text, en("review.result.queued")) || !strings.Contains(text, en("console.action.open_operation")) {
			t.Fatalf("queued: %s", text)
		}
		// The page script's refresh does not take a message meant for the
		// page a person opens.
		flashed := operator.post(t, compose, nil)
		lacks(t, operator.do(t, http.MethodGet, dashboard, nil, map[string]string{"X-Reckon-Live": "1"}), `<div class="flash`)
		if again, _ := flashOf(t, operator.follow(t, flashed)); !strings.Contains(again, en("review.result.already_running")) {
			t.Fatalf("after a live refresh: %s", again)
		}
		var runID int64
		if _, err := fmt.Sscanf(href, "/admin/workspaces/"+w.wsA.Slug+"/operations/%d", &runID); err != nil {
			t.Fatalf("queued link %q: %v", href, err)
		}
		// The new run is on the dashboard, live.
		expect(t, p, http.StatusOK, fmt.Sprintf(`<tr id="run-%d" data-live>`, runID))
		// The flash shows once.
		lacks(t, operator.get(t, dashboard), `<div class="flash`)

		// Already running, with the same run.
		p = operator.follow(t, operator.post(t, compose, nil))
		text, again := flashOf(t, p)
		if !strings.Contains(text, en("review.result.already_running")) || again != href {
			t.Fatalf("already running: %s (%s, want %s)", text, again, href)
		}

		// The job composes it; now up to date, with View review.
		w.deliver(t, runID)
		v := w.reviewOf(t, w.run(t, w.wsA.ID, runID))
		p = operator.get(t, dashboard)
		expect(t, p, http.StatusOK, en("console.action.refresh"), reviewPath(w.wsA, v.ID)+"/refresh")
		p = operator.follow(t, operator.post(t, compose, nil))
		text, href = flashOf(t, p)
		if !strings.Contains(text, en("review.result.up_to_date")) || href != reviewPath(w.wsA, v.ID) ||
			!strings.Contains(text, en("console.action.view_review")) {
			t.Fatalf("up to date: %s", text)
		}
		// Refresh from the dashboard comes back to the dashboard.
		p = operator.post(t, reviewPath(w.wsA, v.ID)+"/refresh", map[string][]string{"return": {dashboard}})
		if p.header.Get("Location") != dashboard {
			t.Fatalf("refresh went to %s", p.header.Get("Location"))
		}
		text, _ = flashOf(t, operator.follow(t, p))
		if !strings.Contains(text, en("review.result.up_to_date")) {
			t.Fatalf("refresh: %s", text)
		}

		// German messages after the redirect.
		operator.lang = "de"
		w.importSnapshot(t, w.envA2, start.Add(-30*time.Minute), baseFindings[:2]...)
		text, _ = flashOf(t, operator.follow(t, operator.post(t, compose, nil)))
		if !strings.Contains(text, de("review.result.queued")) || !strings.Contains(text, de("console.action.open_operation")) {
			t.Fatalf("German queued: %s", text)
		}

		// Above the role: forbidden, nothing created; elsewhere: not found.
		before := len(rowIDs(operator.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations")))
		expect(t, w.as(t, "readonly").post(t, compose, nil), http.StatusForbidden)
		expect(t, w.as(t, "readonly").post(t, reviewPath(w.wsA, v.ID)+"/refresh", nil), http.StatusForbidden)
		expect(t, w.as(t, "outsider").post(t, compose, nil), http.StatusNotFound)
		expect(t, w.as(t, "restricted").post(t, compose, nil), http.StatusNotFound)
		expect(t, operator.post(t, envPath(w.envB, w.wsA)+"/reviews", nil), http.StatusNotFound)
		if after := len(rowIDs(operator.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations"))); after != before {
			t.Fatalf("refused composes created runs: %d → %d", before, after)
		}
		// A compose from another site is refused before it reaches the
		// handler.
		p = operator.do(t, http.MethodPost, compose, map[string][]string{}, map[string]string{
			"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
		expect(t, p, http.StatusForbidden, de("console.error.cross_origin"))
		if after := len(rowIDs(operator.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations"))); after != before {
			t.Fatal("a cross-site compose created a run")
		}
	})
}
