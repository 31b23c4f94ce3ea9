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
	"github.com/reckonhq/reckon/store"
)

func fleetPathOf(slug string) string { return "/admin/workspaces/" + slug + "/fleet" }

// fleetRows returns the environments of a fleet page, in order.
func fleetRows(p *page) []int64 {
	var ids []int64
	for _, m := range regexp.MustCompile(`<tr id="fleet-(\d+)"`).FindAllStringSubmatch(p.body, -1) {
		var id int64
		fmt.Sscan(m[1], &id)
		ids = append(ids, id)
	}
	return ids
}

// The fleet page shows every environment the member sees at a glance, with
// the workspace's counts as tiles that filter, a score trend that reads as
// text too, and the compose action for those who may compose.
func TestFleetPage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		// Newer evidence: envA1's latest review is stale.
		w.importSnapshot(t, w.envA1, start.Add(-time.Minute), baseFindings...)
		fleet := fleetPathOf(w.wsA.Slug)
		score := int64(*review.Score(baseFindings))

		readonly := w.as(t, "readonly")
		p := readonly.get(t, fleet)
		expect(t, p, http.StatusOK, en("console.fleet.title"), w.envA1.Name, w.envA2.Name,
			`href="`+fleet+`" aria-current="page"`,
			`<span class="tile-count">2</span> <span class="tile-label">`+en("console.fleet.tile.environments"),
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.fleet.tile.stale"),
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.fleet.tile.never_reviewed"),
			`<span class="tile-count">1</span> <span class="tile-label">`+en("console.fleet.tile.needs_attention"),
			`href="`+fleet+`?stale=true"`,
			en("console.fleet.shown", "n", 2, "total", 2),
			// envA1: its stale latest review, two runs that want attention,
			// its last run; envA2: no evidence, no review.
			en("console.review.stale"), `<span class="badge badge-warn">2</span>`, fmt.Sprintf(`href="/admin/workspaces/%s/operations/%d"`, w.wsA.Slug, h.blocked.ID),
			en("console.fleet.no_evidence"), en("console.environments.no_review"),
			// The score trend: an image with its name, and its points in words.
			// (The latest review is the twin of the first, with its score.)
			`<svg role="img" aria-label="`+en("console.fleet.trend", "n", 2, "first", score, "last", score)+`"`,
			`<ol class="visually-hidden"><li>`+en("console.fleet.trend_point", "review", fmt.Sprintf("#%d", h.review.ID),
				"at", locale.FormatTime("en", *h.review.ComposedAt), "score", score)+`</li><li>`+
				en("console.fleet.trend_point", "review", fmt.Sprintf("#%d", h.twin.ID),
					"at", locale.FormatTime("en", *h.twin.ComposedAt), "score", score)+`</li></ol>`)
		if got := fleetRows(p); len(got) != 2 {
			t.Fatalf("rows %v", got)
		}
		lacks(t, p, `id="compose-stale"`)

		// Operators may compose every stale review.
		operator := w.as(t, "operator")
		p = operator.get(t, fleet)
		expect(t, p, http.StatusOK, `id="compose-stale"`, en("console.fleet.compose_stale", "n", 1), `href="`+fleet+`/compose"`)

		// The filters, and sorting.
		for query, want := range map[string][]int64{
			"stale=true":                     {w.envA1.ID},
			"never_reviewed=true":            {w.envA2.ID},
			"needs_attention=true":           {w.envA1.ID},
			"failing_above=1":                {w.envA1.ID},
			"failing_above=2&sort=attention": nil, // the latest review fails two controls
			"sort=attention":                 {w.envA1.ID, w.envA2.ID},
			"sort=attention&order=asc":       {w.envA2.ID, w.envA1.ID},
		} {
			p := readonly.get(t, fleet+"?"+query)
			expect(t, p, http.StatusOK)
			if got := fleetRows(p); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
			if want == nil {
				expect(t, p, http.StatusOK, en("console.fleet.none_match"))
			}
		}
		p = readonly.get(t, fleet+"?stale=maybe&sort=size&after=nonsense")
		expect(t, p, http.StatusOK, en("console.filter.ignored"))
		if got := fleetRows(p); len(got) != 2 {
			t.Errorf("ignored parameters: %v", got)
		}

		// A member entitled to one environment sees it alone; other
		// workspaces do not exist.
		p = w.as(t, "restricted").get(t, fleet)
		expect(t, p, http.StatusOK, w.envA1.Name, `<span class="tile-count">1</span> <span class="tile-label">`+en("console.fleet.tile.environments"))
		lacks(t, p, w.envA2.Name)
		expect(t, w.as(t, "outsider").get(t, fleet), http.StatusNotFound)

		// In German.
		german := w.as(t, "readonly")
		german.lang = "de"
		expect(t, german.get(t, fleet), http.StatusOK, `<html lang="de">`, de("console.fleet.title"), de("console.fleet.tile.stale"),
			de("console.fleet.last_operation"), de("console.fleet.filter.failing_above"))
	})
}

// Compose all stale: a confirmation that states the count and names the
// environments, then one bulk compose whose summary comes back as the
// fleet's message; again, it is already running.
func TestFleetComposeStale(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.history(t)
		w.importSnapshot(t, w.envA1, start.Add(-time.Minute), baseFindings...)
		fleet := fleetPathOf(w.wsA.Slug)
		operator := w.as(t, "operator")

		p := operator.get(t, fleet+"/compose")
		expect(t, p, http.StatusOK, en("console.fleet.confirm.lead", "n", 1), "<li>"+w.envA1.Name+"</li>",
			en("console.fleet.confirm.button", "n", 1), `name="environments" value="stale"`)
		lacks(t, p, "<li>"+w.envA2.Name+"</li>")

		p = operator.post(t, fleet+"/compose", url.Values{"environments": {"stale"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != fleet {
			t.Fatalf("compose answers %d %s", p.status, p.header.Get("Location"))
		}
		text, href := flashOf(t, operator.follow(t, p))
		if !strings.Contains(text, en("console.fleet.composed", "total", 1, "queued", 1, "running", 0, "up_to_date", 0, "no_evidence", 0)) ||
			href != fmt.Sprintf("/admin/workspaces/%s/operations?type=environment.review.compose", w.wsA.Slug) {
			t.Fatalf("flash %q %q", text, href)
		}
		text, _ = flashOf(t, operator.follow(t, operator.post(t, fleet+"/compose", url.Values{"environments": {"stale"}})))
		if !strings.Contains(text, en("console.fleet.composed", "total", 1, "queued", 0, "running", 1, "up_to_date", 0, "no_evidence", 0)) {
			t.Fatalf("again: %q", text)
		}

		// Nothing else is composed from here; readonly members may neither
		// see the confirmation nor post; other workspaces do not exist.
		expect(t, operator.post(t, fleet+"/compose", url.Values{"environments": {"all"}}), http.StatusUnprocessableEntity,
			en("console.fleet.compose_what"))
		readonly := w.as(t, "readonly")
		expect(t, readonly.get(t, fleet+"/compose"), http.StatusForbidden)
		expect(t, readonly.post(t, fleet+"/compose", url.Values{"environments": {"stale"}}), http.StatusForbidden)
		expect(t, w.as(t, "outsider").post(t, fleet+"/compose", url.Values{"environments": {"stale"}}), http.StatusNotFound)

		// Once composed, nothing is stale: the confirmation says so and
		// offers nothing.
		var queued []*reckon.Run
		w.tx(t, func(tx *store.Tx) (err error) {
			queued, err = tx.ListRuns(context.Background(), &store.RunFilter{WorkspaceID: w.wsA.ID, EnvironmentID: w.envA1.ID,
				Status: reckon.RunQueued, Limit: 10})
			return err
		})
		if len(queued) != 1 {
			t.Fatalf("queued runs: %v", queued)
		}
		w.deliver(t, queued[0].ID)
		p = operator.get(t, fleet+"/compose")
		expect(t, p, http.StatusOK, en("console.fleet.confirm.none"))
		lacks(t, p, `id="confirm-compose"`)
		lacks(t, operator.get(t, fleet), `id="compose-stale"`)
	})
}
