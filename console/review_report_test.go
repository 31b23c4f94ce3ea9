package console_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
)

// reportExternal finds, in a document's markup (its text may say anything),
// what would run, fetch or lead outside it.
var reportExternal = regexp.MustCompile(`(?i)^<(script|img|link|iframe|object|embed|form|svg)\b|\s(src|href|action|srcset|data)=|url\(|@import`)

// external returns the first tag of a document that reaches outside it.
func external(doc string) string {
	for _, m := range tag.FindAllString(doc, -1) {
		if reportExternal.MatchString(m) {
			return m
		}
	}
	if i, j := strings.Index(doc, "<style>"), strings.Index(doc, "</style>"); i >= 0 && j > i {
		return reportExternal.FindString(doc[i:j])
	}
	return ""
}

func TestReviewReportFromTheConsole(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`<p>a</p><img alt="" src="https://x">`, `<a class="x" href="https://x">`, `<script>`,
		`<style>body { background: url(https://x) }</style>`, `<form action="https://x">`} {
		if external(doc) == "" {
			t.Fatalf("the scan misses %s", doc)
		}
	}
	eachWorld(t, func(t *testing.T, w *world) {
		w.importScubaGear(t, w.envA1, start.Add(-2*time.Hour),
			finding("MS.AAD.3.3v1", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail))
		w.composed(t, w.envA1, nil)
		accepted := finding("MS.AAD.3.3v2", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail)
		accepted.Annotation = reckon.Annotation{Comment: "Licences ordered", RemediationDate: "2027-03-31"}
		hostile := finding("@SUM(A1)", `<img src="https://evil.example/x.png"> =1+1`, "Teams", reckon.SeverityLow, reckon.FindingFail)
		hostile.Detail = "+cmd"
		w.importScubaGear(t, w.envA1, start.Add(-time.Hour), accepted, hostile,
			finding("MS.EXO.1.1v1", "Forwarding disabled", "EXO", reckon.SeverityMedium, reckon.FindingPass))
		v, _ := w.composed(t, w.envA1, nil)
		w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		other, _ := w.composed(t, w.envA2, nil)
		path := reviewPath(w.wsA, v.ID) + "/report"

		// The review page leads to its report and its findings.
		readonly := w.as(t, "readonly")
		expect(t, readonly.get(t, reviewPath(w.wsA, v.ID)), http.StatusOK,
			`href="`+path+`" id="report-link">`+en("console.review.report"), `href="`+path+`?format=csv" download>`)

		for _, c := range []struct {
			name, accept, query, lang string
		}{
			{"the page's language", "", "", "en"},
			{"German from the browser", "de", "", "de"},
			{"German asked for", "", "?lang=de", "de"},
			{"English asked for", "de", "?lang=en", "en"},
			{"an unknown language is ignored", "de", "?lang=fr&format=pdf", "de"},
		} {
			readonly.lang = c.accept
			p := readonly.get(t, path+c.query)
			expect(t, p, http.StatusOK, `<html lang="`+c.lang+`">`, w.envA1.Name,
				tr(c.lang, "report.note.accepted_until", "date", "2027-03-31")+"</strong>: Licences ordered",
				`note-unexplained"><strong>`+tr(c.lang, "report.note.unexplained"),
				tr(c.lang, "report.changes.version_changed"), "&lt;img src=&#34;https://evil.example/x.png&#34;&gt; =1&#43;1")
			if p.header.Get("Content-Language") != c.lang || p.header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%s: headers %v", c.name, p.header)
			}
			// The report's own policy, not the console's: its stylesheet by
			// hash, nothing else.
			if csp := p.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") ||
				strings.Contains(csp, "'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: policy %q", c.name, csp)
			}
			if m := external(p.body); m != "" {
				t.Errorf("%s: the report holds %q", c.name, m)
			}
		}

		// The evidence's capture time in the reader's zone — the browser's
		// here — unless tz names another; a zone that is none is ignored.
		readonly.lang = ""
		captured := start.Add(-time.Hour)
		expect(t, readonly.get(t, path), http.StatusOK, captured.UTC().Format("2006-01-02 15:04:05")+" UTC")
		browserZone(t, readonly, "America/New_York")
		ny := captured.In(mustZone(t, "America/New_York")).Format("2006-01-02 15:04:05 MST")
		tokyo := captured.In(mustZone(t, "Asia/Tokyo")).Format("2006-01-02 15:04:05 MST")
		expect(t, readonly.get(t, path), http.StatusOK, ny)
		expect(t, readonly.get(t, path+"?tz=Asia/Tokyo"), http.StatusOK, tokyo)
		expect(t, readonly.get(t, path+"?tz=Mars/Olympus"), http.StatusOK, ny)

		// The findings as CSV.
		p := readonly.get(t, path+"?format=csv")
		if p.status != http.StatusOK || p.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			p.header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="reckon-review-%d-%s.csv"`, v.ID, w.envA1.Slug) {
			t.Fatalf("csv: %d %v", p.status, p.header)
		}
		rows, err := csv.NewReader(bytes.NewBufferString(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][0] != "control_id" || strings.Join(rows[1], "|") != "MS.AAD.3.3v2|AAD||Phishing-resistant MFA|high|fail||accepted|Licences ordered|2027-03-31||" ||
			strings.Join(rows[3], "|") != `'@SUM(A1)|Teams||<img src="https://evil.example/x.png"> =1+1|low|fail|'+cmd|unexplained||||` {
			t.Fatalf("csv rows %q", rows)
		}

		// The review's access: not found across workspaces and entitlements;
		// a signed-out reader signs in first.
		expect(t, w.as(t, "outsider").get(t, path), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, path+"?format=csv"), http.StatusNotFound)
		expect(t, w.as(t, "outsider").get(t, fmt.Sprintf("/admin/workspaces/%s/reviews/%d/report", w.wsB.Slug, v.ID)), http.StatusNotFound)
		restricted := w.as(t, "restricted")
		expect(t, restricted.get(t, reviewPath(w.wsA, other.ID)+"/report"), http.StatusNotFound)
		expect(t, restricted.get(t, path), http.StatusOK, w.envA1.Name)
		if p := w.client().get(t, path); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login?next=") {
			t.Fatalf("signed out: %d %s", p.status, p.header.Get("Location"))
		}
	})
}

// tr translates a key into a language, for assertions.
func tr(lang, key string, args ...any) string {
	if lang == "de" {
		return de(key, args...)
	}
	return en(key, args...)
}
