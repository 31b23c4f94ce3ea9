package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// reportSnapshot has a failure of each kind of annotation, a result marked
// incorrect, and text that would run in a spreadsheet or a page.
const reportSnapshot = `{"captured_at": "2026-11-28T09:00:00Z", "findings": [
	{"control_id": "MS.AAD.1.1", "title": "Legacy authentication is blocked", "severity": "high", "status": "fail", "product": "AAD",
	 "annotation": {"comment": "Blocked at the gateway"}},
	{"control_id": "MS.AAD.3.1", "title": "Phishing-resistant MFA for admins", "severity": "critical", "status": "pass", "product": "AAD"},
	{"control_id": "MS.EXO.1.1", "title": "Automatic forwarding is disabled", "severity": "medium", "status": "fail", "product": "EXO",
	 "detail": "2 rules forward mail outside", "annotation": {"remediation_date": "2027-03-31", "comment": "Rules removed in March"}},
	{"control_id": "=cmd|' /C calc'!A0", "title": "<script>alert(1)</script> @SUM(A1)", "severity": "low", "status": "fail", "product": "Teams",
	 "detail": "-1+1 https://evil.example/x.png"},
	{"control_id": "MS.TEAMS.2.1", "title": "External access is limited", "severity": "medium", "status": "warning", "product": "Teams",
	 "annotation": {"incorrect_result": true, "original_status": "fail"}}]}`

// reportOf fetches a report without decoding it as JSON, held to the OpenAPI
// document like every exchange.
func (w *world) reportOf(t testing.TB, token, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	hr := httptest.NewRequest(http.MethodGet, path, nil)
	hr.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	serveValidated(t, w.db.Engine(), w.handler, rec, hr)
	scanLeak(t, http.MethodGet, path, rec.Body.Bytes())
	return rec
}

// composeReport composes a review of reportSnapshot after one of
// snapshotV1, so that it has changes, and returns its id.
func (w *world) composeReport(t *testing.T, envID int64) int64 {
	t.Helper()
	env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, envID)
	var id int64
	for _, body := range []string{snapshotV1, reportSnapshot} {
		expect(t, w.post(t, w.owner, env+"/evidence-snapshots", body), http.StatusCreated)
		op := obj(w.post(t, w.owner, env+"/reviews", "").JSON["operation"])
		w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
		id = num(obj(w.post(t, w.owner, env+"/reviews", "").JSON["review"])["id"])
	}
	return id
}

// externalRef finds, in a tag or the stylesheet of a document (its text may
// say anything), what would run, fetch or lead outside it.
var (
	externalRef = regexp.MustCompile(`(?im)^<(script|img|link|iframe|object|embed|form|svg)\b|\s(src|href|action|srcset|data)=|url\(|@import`)
	markup      = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`)
)

func TestReviewReport(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.tx(t, func(tx *store.Tx) error {
			return tx.SetEnvironmentTenant(context.Background(), w.wsA.ID, w.envA1.ID, "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b")
		})
		w.startWorker(t)
		id := w.composeReport(t, w.envA1.ID)
		other := w.composeReport(t, w.envA2.ID)
		path := fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d/report", w.wsA.Slug, id)
		cat := locale.Default()

		for _, c := range []struct {
			name, query string
			header      map[string]string
			lang        string
		}{
			{"english by default", "", nil, "en"},
			{"german from Accept-Language", "", map[string]string{"Accept-Language": "de-DE,de;q=0.9"}, "de"},
			{"lang wins over Accept-Language", "?lang=en", map[string]string{"Accept-Language": "de"}, "en"},
			{"german by lang", "?lang=de&format=html", nil, "de"},
		} {
			rec := w.reportOf(t, w.readonly, path+c.query, c.header)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
			}
			h, doc := rec.Header(), rec.Body.String()
			if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Content-Language") != c.lang ||
				!strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'; style-src 'sha256-") ||
				strings.Contains(h.Get("Content-Security-Policy"), "unsafe") || h.Get("Cache-Control") != "private, no-store" {
				t.Errorf("%s: headers %v", c.name, h)
			}
			if m := externalRef.FindString(strings.Join(markup.FindAllString(doc, -1), "\n")); m != "" {
				t.Errorf("%s: the document holds %q", c.name, m)
			}
			for _, want := range []string{`<html lang="` + c.lang + `">`, w.envA1.Name, "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
				cat.Translate(c.lang, "report.score.formula", nil), cat.Translate(c.lang, "report.changes.newly_failing", nil),
				cat.Translate(c.lang, "report.note.accepted_until", map[string]any{"date": "2027-03-31"}) + "</strong>: Rules removed in March",
				"2 rules forward mail outside", "&lt;script&gt;alert(1)&lt;/script&gt;",
				`note-unexplained"><strong>` + cat.Translate(c.lang, "report.note.unexplained", nil),
				`note-incorrect"><strong>` + cat.Translate(c.lang, "report.note.incorrect", nil)} {
				if !strings.Contains(doc, want) {
					t.Errorf("%s: the report lacks %q", c.name, want)
				}
			}
		}

		// The findings as CSV, neutralised where a spreadsheet would run them.
		rec := w.reportOf(t, w.readonly, path+"?format=csv", nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
			rec.Header().Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="reckon-review-%d-%s.csv"`, id, w.envA1.Slug) {
			t.Fatalf("csv: %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
		rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(rows))
		for i, r := range rows {
			got[i] = strings.Join(r, "|")
		}
		want := []string{
			"control_id|product|group|title|severity|status|detail|annotation|comment|remediation_date|incorrect_result|original_status",
			"MS.AAD.3.1|AAD||Phishing-resistant MFA for admins|critical|pass||||||",
			"MS.AAD.1.1|AAD||Legacy authentication is blocked|high|fail||commented|Blocked at the gateway|||",
			"MS.EXO.1.1|EXO||Automatic forwarding is disabled|medium|fail|2 rules forward mail outside|accepted|Rules removed in March|2027-03-31||",
			"MS.TEAMS.2.1|Teams||External access is limited|medium|warning|||||true|fail",
			"'=cmd|' /C calc'!A0|Teams||<script>alert(1)</script> @SUM(A1)|low|fail|'-1+1 https://evil.example/x.png|unexplained||||",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("csv:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// The review's access: 404 across workspaces and entitlements, 401
		// without a token, 422 for what the document does not offer.
		for _, c := range []struct {
			name, token, path string
			status            int
		}{
			{"an outsider", w.outsider, path, http.StatusNotFound},
			{"an outsider's csv", w.outsider, path + "?format=csv", http.StatusNotFound},
			{"another workspace's path", w.outsider, fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d/report", w.wsB.Slug, id), http.StatusNotFound},
			{"outside the entitlement", w.restricted, fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d/report", w.wsA.Slug, other), http.StatusNotFound},
			{"a review that does not exist", w.readonly, fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d/report", w.wsA.Slug, other+1000), http.StatusNotFound},
			{"no token", "", path, http.StatusUnauthorized},
			{"another format", w.readonly, path + "?format=pdf", http.StatusUnprocessableEntity},
			{"another language", w.readonly, path + "?lang=fr", http.StatusUnprocessableEntity},
			{"a zone that is none", w.readonly, path + "?tz=Mars/Olympus", http.StatusUnprocessableEntity},
			{"the server's zone", w.readonly, path + "?tz=Local", http.StatusUnprocessableEntity},
		} {
			res := w.get(t, c.token, c.path)
			if res.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, res.Status, c.status, res.Body)
			}
		}
		// Times are in tz, else the zone the reader saved in the console's
		// settings, else UTC: the evidence was captured at 09:00 UTC.
		captured := func(query string) string {
			t.Helper()
			rec := w.reportOf(t, w.readonly, path+query, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", query, rec.Code, rec.Body)
			}
			return regexp.MustCompile(`\d[\d.:, -]+ [A-Z]{3,4}`).FindString(rec.Body.String())
		}
		for query, want := range map[string]string{
			"":                             "2026-11-28 09:00:00 UTC",
			"?tz=Europe/Berlin":            "2026-11-28 10:00:00 CET",
			"?tz=America/New_York&lang=de": "28.11.2026, 04:00:00 EST",
		} {
			if got := captured(query); got != want {
				t.Errorf("%q: the capture time reads %q, want %q", query, got, want)
			}
		}
		reader := w.userOf(t, w.readonly)
		w.tx(t, func(tx *store.Tx) error {
			return tx.PutUserSettings(context.Background(), reader, store.UserSettings{TimeZone: "Asia/Tokyo"})
		})
		if got := captured(""); got != "2026-11-28 18:00:00 JST" {
			t.Errorf("in the saved zone, the capture time reads %q", got)
		}
		if got := captured("?tz=UTC"); got != "2026-11-28 09:00:00 UTC" {
			t.Errorf("tz over the saved zone: the capture time reads %q", got)
		}

		// Within the entitlement, the restricted member reads it.
		if rec := w.reportOf(t, w.restricted, path, nil); rec.Code != http.StatusOK {
			t.Errorf("restricted member: %d", rec.Code)
		}
	})
}
