package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
)

// importScubaGear stores ScubaGear-format evidence, so that the composer
// matches controls across tool versions.
func (w *world) importScubaGear(t *testing.T, env *reckon.Environment, at time.Time, findings ...reckon.Finding) {
	t.Helper()
	_, _, err := evidence.NewService(w.db).Import(context.Background(), scopeOf(env),
		reckon.SnapshotInput{CapturedAt: at, Findings: findings, Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReviewShowsAnnotationsAndVersions(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		w.importScubaGear(t, w.envA1, start.Add(-2*time.Hour),
			finding("MS.AAD.3.3v1", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail),
			finding("MS.EXO.12.1v1", "IP allow lists not created", "EXO", reckon.SeverityMedium, reckon.FindingPass),
			finding("MS.TEAMS.1.1v1", "External meeting chat", "Teams", reckon.SeverityMedium, reckon.FindingPass),
		)
		w.composed(t, w.envA1, nil)
		accepted := finding("MS.AAD.3.3v2", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail)
		accepted.Annotation = reckon.Annotation{Comment: "Licences ordered", RemediationDate: "2027-03-31"}
		commented := finding("MS.AAD.1.1v1", "Legacy authentication blocked", "AAD", reckon.SeverityHigh, reckon.FindingFail)
		commented.Annotation = reckon.Annotation{Comment: "Blocked at the gateway"}
		disputed := finding("MS.TEAMS.1.1v1", "External meeting chat", "Teams", reckon.SeverityMedium, reckon.FindingWarning)
		disputed.Annotation = reckon.Annotation{IncorrectResult: true, OriginalStatus: reckon.FindingFail}
		w.importScubaGear(t, w.envA1, start.Add(-time.Hour), accepted, commented, disputed,
			finding("MS.SECURITYSUITE.8.1v1", "IP allow lists not created", "SecuritySuite", reckon.SeverityMedium, reckon.FindingFail))
		v, _ := w.composed(t, w.envA1, nil)

		for _, lang := range []string{"en", "de"} {
			tr := en
			if lang == "de" {
				tr = de
			}
			u := w.as(t, "readonly")
			u.lang = lang
			p := u.get(t, reviewPath(w.wsA, v.ID))
			failing := between(t, p, `id="failing-heading"`, `id="annotations-heading"`)
			// The accepted failure says until when; the unexplained one
			// (the moved policy) carries no note.
			for _, want := range []string{`annotation-accepted"><strong>` + tr("console.annotation.accepted_until", "date", "2027-03-31"),
				"Licences ordered", `annotation-commented"><strong>` + tr("console.annotation.commented"), "Blocked at the gateway"} {
				if !strings.Contains(failing, want) {
					t.Errorf("%s: failing controls lack %q:\n%s", lang, want, failing)
				}
			}
			if row := between(t, &page{body: failing}, "<code>MS.SECURITYSUITE.8.1v1</code>", "</tr>"); strings.Contains(row, "annotation") {
				t.Errorf("%s: an unexplained failure has a note: %s", lang, row)
			}
			annotations := between(t, p, `id="annotations-heading"`, `id="changes-heading"`)
			for _, want := range []string{tr("console.annotation.count_accepted") + `</th><td class="num">1`,
				tr("console.annotation.count_commented") + `</th><td class="num">1`,
				tr("console.annotation.count_unexplained") + `</th><td class="num">1`,
				tr("console.annotation.count_incorrect") + `</th><td class="num">1`,
				`id="incorrect-results"`, "<code>MS.TEAMS.1.1v1</code>", tr("console.annotation.incorrect")} {
				if !strings.Contains(annotations, want) {
					t.Errorf("%s: annotations lack %q:\n%s", lang, want, annotations)
				}
			}
			changes := between(t, p, `id="changes-heading"`, `id="lineage-heading"`)
			for _, c := range []struct{ id, control, was string }{
				{"version-changed", "MS.AAD.3.3v2", "MS.AAD.3.3v1"}, {"moved", "MS.SECURITYSUITE.8.1v1", "MS.EXO.12.1v1"},
			} {
				section := between(t, &page{body: changes}, `id="`+c.id+`"`, `<h3`)
				if !strings.Contains(section, `<span class="count-pill">1</span>`) ||
					!strings.Contains(section, "<code>"+c.control+"</code> <span class=\"muted\">("+tr("console.annotation.was")+" <code>"+c.was+"</code>)") {
					t.Errorf("%s: %s lacks %s from %s:\n%s", lang, c.id, c.control, c.was, section)
				}
			}
			expect(t, p, http.StatusOK)
		}
	})
}
