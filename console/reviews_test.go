package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
)

// between returns the part of a page from one marker to the next.
func between(t *testing.T, p *page, from, to string) string {
	t.Helper()
	i := strings.Index(p.body, from)
	if i < 0 {
		t.Fatalf("page lacks %q", from)
	}
	rest := p.body[i:]
	if j := strings.Index(rest[len(from):], to); j >= 0 {
		return rest[:len(from)+j]
	}
	return rest
}

func TestReviewsListAndDetail(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.importSnapshot(t, w.envA1, start.Add(-2*time.Hour), baseFindings...)
		first, _ := w.composed(t, w.envA1, w.users["operator"])
		w.importSnapshot(t, w.envA1, start.Add(-time.Hour),
			finding("AAD.1", "Phishing-resistant MFA for administrators", "AAD", reckon.SeverityCritical, reckon.FindingPass),
			finding("AAD.2", "Legacy authentication blocked", "AAD", reckon.SeverityHigh, reckon.FindingFail),
			finding("EXO.1", "External forwarding disabled", "EXO", reckon.SeverityHigh, reckon.FindingFail),
			finding("SPO.1", "Anonymous sharing links expire", "SharePoint", reckon.SeverityMedium, reckon.FindingFail),
		)
		second, run := w.composed(t, w.envA1, w.users["operator"])
		w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		other, _ := w.composed(t, w.envA2, nil)

		readonly := w.as(t, "readonly")
		p := readonly.get(t, reviewPath(w.wsA, second.ID))
		expect(t, p, http.StatusOK, en("console.review.title", "id", fmt.Sprint(second.ID)), w.envA1.Name,
			`<span class="badge badge-ok">`+en("review.status.ready"),
			`<span class="tile-count">43 / 100</span>`, `<span class="tile-count">4</span>`, `<span class="tile-count">3</span>`,
			en("console.review.by_severity"), en("console.review.by_status"),
			// Lineage and record.
			`<a href="`+reviewPath(w.wsA, first.ID)+`">`+en("console.review.title", "id", fmt.Sprint(first.ID))+`</a>`,
			en("console.review.superseded_by_none"), `href="`+opPath(w.wsA, run.ID)+`">#`+fmt.Sprint(run.ID))
		// Failing controls, grouped by product, most severe first.
		failing := between(t, p, `id="failing-heading"`, `id="changes-heading"`)
		aad, exo, spo := strings.Index(failing, ">AAD</h3>"), strings.Index(failing, ">EXO</h3>"), strings.Index(failing, ">SharePoint</h3>")
		if aad < 0 || exo < aad || spo < exo || !strings.Contains(failing, "<code>SPO.1</code> Anonymous sharing links expire") {
			t.Fatalf("failing controls by product:\n%s", failing)
		}
		if strings.Contains(failing, "AAD.1") {
			t.Fatal("a passing control is listed as failing")
		}
		// Since the previous review: one of each change.
		changes := between(t, p, `id="changes-heading"`, `id="lineage-heading"`)
		for _, c := range []struct{ id, control string }{
			{"newly-failing", "AAD.2"}, {"resolved", "AAD.1"}, {"added", "SPO.1"}, {"removed", "TEAMS.1"},
		} {
			section := between(t, &page{body: changes}, `id="`+c.id+`"`, `<h3`)
			if !strings.Contains(section, `<span class="count-pill">1</span>`) || !strings.Contains(section, "<code>"+c.control+"</code>") {
				t.Errorf("%s lacks %s:\n%s", c.id, c.control, section)
			}
		}
		if !strings.Contains(changes, en("console.finding.pass")+" → "+en("console.finding.fail")) {
			t.Errorf("a newly failing control does not show its change:\n%s", changes)
		}
		// Readonly members get no actions.
		lacks(t, p, "/publish", "/archive", "/refresh")

		// The superseded review links forward; the first has nothing to
		// compare with.
		p = readonly.get(t, reviewPath(w.wsA, first.ID))
		expect(t, p, http.StatusOK, en("review.status.superseded"), en("console.review.first"),
			`<a href="`+reviewPath(w.wsA, second.ID)+`">`, en("console.review.supersedes_none"))

		// German content.
		readonly.lang = "de"
		p = readonly.get(t, reviewPath(w.wsA, second.ID))
		expect(t, p, http.StatusOK, de("console.review.newly_failing"), de("console.review.failing_controls"), "Kritisch",
			de("review.status.ready"))

		// The list, its filters, and what a restricted member sees.
		list := "/admin/workspaces/" + w.wsA.Slug + "/reviews"
		readonly.lang = ""
		p = readonly.get(t, list)
		expect(t, p, http.StatusOK, en("console.reviews.title"), `<label for="filter-environment">`, `<label for="filter-status">`,
			reviewPath(w.wsA, first.ID), reviewPath(w.wsA, second.ID), reviewPath(w.wsA, other.ID),
			// Each review's score and failing count at a glance.
			`<span class="score">43 / 100</span> <span class="muted">`+en("console.reviews.failing", "n", "3"))
		p = readonly.get(t, list+"?status=superseded")
		expect(t, p, http.StatusOK, reviewPath(w.wsA, first.ID))
		lacks(t, p, reviewPath(w.wsA, second.ID)+`"`)
		p = w.as(t, "restricted").get(t, list)
		expect(t, p, http.StatusOK, reviewPath(w.wsA, second.ID))
		lacks(t, p, reviewPath(w.wsA, other.ID)+`"`)
		p = w.as(t, "restricted").get(t, list+fmt.Sprintf("?environment=%d", w.envA2.ID))
		expect(t, p, http.StatusOK, en("console.reviews.empty"))

		// Not found across workspaces and entitlements.
		expect(t, w.as(t, "restricted").get(t, reviewPath(w.wsA, other.ID)), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, reviewPath(w.wsA, second.ID)), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, reviewPath(w.wsB, second.ID)), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, list), http.StatusNotFound)
	})
}

func TestPublishAndArchiveAreForManagers(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.importSnapshot(t, w.envA1, start.Add(-time.Hour), baseFindings...)
		v, _ := w.composed(t, w.envA1, nil)
		path := reviewPath(w.wsA, v.ID)

		operator := w.as(t, "operator")
		p := operator.get(t, path)
		expect(t, p, http.StatusOK, path+"/refresh")
		lacks(t, p, path+"/publish", path+"/archive")
		expect(t, operator.post(t, path+"/publish", nil), http.StatusForbidden, en("console.error.heading.forbidden"))
		expect(t, w.as(t, "readonly").post(t, path+"/archive", nil), http.StatusForbidden)
		expect(t, w.as(t, "outsider").post(t, path+"/publish", nil), http.StatusNotFound)

		manager := w.as(t, "manager")
		p = manager.get(t, path)
		expect(t, p, http.StatusOK, `action="`+path+`/publish"`)
		lacks(t, p, path+"/archive")
		p = manager.follow(t, manager.post(t, path+"/publish", nil))
		expect(t, p, http.StatusOK, `class="flash flash-success"`, en("console.flash.published"),
			`<span class="badge badge-ok">`+en("review.status.published"), `action="`+path+`/archive"`, en("console.review.published_at"))
		lacks(t, p, path+"/publish")

		// A transition the review cannot take is explained on its page.
		p = manager.follow(t, manager.post(t, path+"/publish", nil))
		expect(t, p, http.StatusOK, `class="flash flash-error"`, en("review.error.invalid_transition", "from", reckon.Msg("review.status.published"), "to", reckon.Msg("review.status.published")))

		p = manager.follow(t, manager.post(t, path+"/archive", nil))
		expect(t, p, http.StatusOK, en("console.flash.archived"), en("review.status.archived"), en("console.review.archived_at"))
		lacks(t, p, path+"/publish", path+"/archive")
	})
}
