package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"html"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/scubagear"
)

// sample is a composed review of hand-made evidence, with every kind of
// annotation and a baseline.
func sample(t *testing.T) *Data {
	t.Helper()
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	f := func(id, title, product string, sev reckon.Severity, st reckon.FindingStatus, a reckon.Annotation) reckon.Finding {
		return reckon.Finding{ControlID: id, Title: title, Product: product, Severity: sev, Status: st, Annotation: a,
			Detail: "Detail of " + id}
	}
	baseline := &reckon.Snapshot{CapturedAt: at.Add(-24 * time.Hour), Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear},
		Findings: []reckon.Finding{
			f("MS.AAD.3.3v1", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail, reckon.Annotation{}),
			f("MS.EXO.12.1v1", "IP allow lists", "EXO", reckon.SeverityMedium, reckon.FindingPass, reckon.Annotation{}),
		}}
	snap := &reckon.Snapshot{ID: 41, CapturedAt: at, FindingCount: 5,
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear, ToolVersion: "1.7.1"},
		Findings: []reckon.Finding{
			f("MS.AAD.3.3v2", "Phishing-resistant MFA", "AAD", reckon.SeverityHigh, reckon.FindingFail,
				reckon.Annotation{Comment: "Licences ordered", RemediationDate: "2027-03-31"}),
			f("MS.AAD.1.1v1", "Legacy authentication blocked", "AAD", reckon.SeverityHigh, reckon.FindingFail,
				reckon.Annotation{Comment: "Blocked at the gateway"}),
			f("MS.SECURITYSUITE.8.1v1", "IP allow lists", "SecuritySuite", reckon.SeverityMedium, reckon.FindingFail, reckon.Annotation{}),
			f("MS.TEAMS.1.1v1", "=HYPERLINK(\"http://evil.example\") <script>alert(1)</script>", "Teams", reckon.SeverityLow,
				reckon.FindingWarning, reckon.Annotation{IncorrectResult: true, OriginalStatus: reckon.FindingFail}),
			f("@SUM(1)", "-2+3", "+Product", reckon.SeverityInfo, reckon.FindingPass, reckon.Annotation{}),
		}}
	content := review.Compose(snap, baseline)
	raw, err := content.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	composed := at.Add(time.Hour)
	return &Data{
		Workspace:   &reckon.Workspace{ID: 1, Slug: "northwind", Name: "Northwind Managed Services"},
		Environment: &reckon.Environment{ID: 2, Slug: "Contoso_Prod", Name: "Contoso </style> \"Production\"", TenantID: "1b2c3d4e-0000-4000-8000-000000000001"},
		Review: &reckon.Review{ID: 12, Status: reckon.ReviewPublished, Fingerprint: "sha256:abc", Content: raw,
			ComposedAt: &composed, PublishedAt: &composed},
		Snapshot: snap,
		Content:  content,
	}
}

// externalURL finds a URL the document would fetch or lead to.
var externalURL = regexp.MustCompile(`(?i)(https?:|//[a-z0-9]|url\(|@import|src=|href=)`)

func TestDocumentIsSelfContainedAndAllowsOnlyItsStyle(t *testing.T) {
	t.Parallel()
	for _, lang := range locale.Languages {
		rec := httptest.NewRecorder()
		if err := Write(rec, locale.Default(), sample(t), HTML, lang, nil); err != nil {
			t.Fatal(err)
		}
		doc := rec.Body.String()
		h := rec.Header()
		if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Content-Language") != lang ||
			h.Get("Content-Disposition") != `inline; filename="reckon-review-12-contoso-prod.html"` {
			t.Errorf("%s: headers %v", lang, h)
		}
		if strings.Contains(strings.ToLower(doc), "<script") {
			t.Errorf("%s: the document holds a script", lang)
		}
		// The evidence's own text shows, escaped; nothing the document holds
		// fetches or links anywhere.
		if !strings.Contains(doc, "=HYPERLINK(&#34;http://evil.example&#34;) &lt;script&gt;") {
			t.Errorf("%s: the control's title is not shown escaped", lang)
		}
		if m := externalURL.FindString(strings.ReplaceAll(doc, "=HYPERLINK(&#34;http://evil.example&#34;)", "")); m != "" {
			t.Errorf("%s: the document refers outside itself: %q", lang, m)
		}
		// One stylesheet, and the policy allows exactly it.
		if strings.Count(doc, "<style>") != 1 || strings.Count(doc, "</style>") != 1 {
			t.Fatalf("%s: the environment's name ended the stylesheet", lang)
		}
		style := doc[strings.Index(doc, "<style>")+len("<style>") : strings.Index(doc, "</style>")]
		sum := sha256.Sum256([]byte(style))
		want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
		if got := h.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: policy %q, want %q", lang, got, want)
		}
		meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(doc)
		if meta == nil || html.UnescapeString(meta[1]) != strings.TrimSuffix(want, "; frame-ancestors 'none'") {
			t.Errorf("%s: the document does not carry its policy: %q", lang, meta)
		}
		if !strings.Contains(style, "size: A4") || !strings.Contains(style, "counter(pages)") || !strings.Contains(style, "@media print") {
			t.Errorf("%s: no print stylesheet:\n%s", lang, style)
		}
	}
}

func TestDocumentSaysWhatTheReviewHolds(t *testing.T) {
	t.Parallel()
	d := sample(t)
	for _, lang := range locale.Languages {
		tt := tr{text: locale.Default(), lang: lang}
		doc, err := render(locale.Default(), d, lang, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := string(doc.html)
		// 0.5 of 14 points: the failures (high 5, high 5, medium 3) earn
		// nothing, the warning half of its low 1; info weighs nothing.
		for _, want := range []string{
			`<html lang="` + lang + `">`, "1b2c3d4e-0000-4000-8000-000000000001", "#41",
			tt.T("report.score.calculation", "earned", tt.half(1), "possible", tt.half(28), "score", "4"),
			`<span class="score-value">4</span>`,
			tt.T("report.note.accepted_until", "date", "2027-03-31") + "</strong>: Licences ordered",
			`note-commented"><strong>` + tt.T("report.note.commented") + "</strong>: Blocked at the gateway",
			`note-unexplained"><strong>` + tt.T("report.note.unexplained"),
			`note-incorrect"><strong>` + tt.T("report.note.incorrect") + "</strong>: " +
				tt.T("report.note.original", "status", tt.T("console.finding.fail")),
			"Detail of MS.SECURITYSUITE.8.1v1",
			`<h3 id="product-1">AAD <span class="count-pill">2</span></h3>`,
			`<h3 id="product-2">SecuritySuite <span class="count-pill">1</span></h3>`,
			`<h3 id="version-changed">` + tt.T("report.changes.version_changed"),
			`<code class="control-id">MS.AAD.3.3v2</code> <span class="muted">(` + tt.T("report.was") + ` <code>MS.AAD.3.3v1</code>)`,
			`<h3 id="moved">` + tt.T("report.changes.moved"),
			tt.T("review.status.published"),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the document lacks %q", lang, want)
			}
		}
		if strings.Contains(body, "report.") || strings.Contains(body, "console.") || regexp.MustCompile(`\{[a-z_]+\}`).MatchString(body) {
			t.Errorf("%s: the document shows a key or an unfilled argument", lang)
		}
	}
}

// The document's times are in the reader's zone, named by its abbreviation
// and, across a change of offset, with the offset of each time's own date;
// without a zone they are UTC.
func TestDocumentTimesAreInTheReadersZone(t *testing.T) {
	t.Parallel()
	berlin, ok := locale.Zone("Europe/Berlin")
	if !ok {
		t.Fatal("no zone Europe/Berlin")
	}
	d := sample(t) // captured 2026-11-28 09:30 UTC, composed an hour later
	for _, c := range []struct {
		lang string
		zone *time.Location
		want []string
	}{
		{"de", berlin, []string{"28.11.2026, 10:30:00 CET", "28.11.2026, 11:30:00 CET"}},
		{"en", berlin, []string{"2026-11-28 10:30:00 CET", "2026-11-28 11:30:00 CET"}},
		{"de", nil, []string{"28.11.2026, 09:30:00 UTC", "28.11.2026, 10:30:00 UTC"}},
	} {
		doc, err := render(locale.Default(), d, c.lang, c.zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range c.want {
			if !strings.Contains(string(doc.html), want) {
				t.Errorf("%s in %v: the document lacks %q", c.lang, c.zone, want)
			}
		}
		if c.zone != nil && strings.Contains(string(doc.html), " UTC") {
			t.Errorf("%s in %v: the document still shows a UTC time", c.lang, c.zone)
		}
	}
	summer := locale.FormatTimeIn("de", time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC), berlin)
	if summer != "01.07.2026, 11:30:00 CEST" {
		t.Errorf("a summer time in Berlin: %q", summer)
	}
}

func TestHalfPointsInTheLanguagesNotation(t *testing.T) {
	t.Parallel()
	en, de := tr{lang: "en"}, tr{lang: "de"}
	if en.half(83) != "41.5" || de.half(83) != "41,5" || en.half(2468) != "1,234" || de.half(2469) != "1.234,5" {
		t.Fatal(en.half(83), de.half(83), en.half(2468), de.half(2469))
	}
}

func TestCSSStringsCannotBreakOut(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Contoso Prod":             `"Contoso Prod"`,
		`</style><script>"x"`:      `"\3c \2f style\3e \3c script\3e \22 x\22 "`,
		"a\\b\nc;}":                `"a\5c b\a c\3b \7d "`,
		"Müller · Prüfung #12 (x)": `"M\fc ller \b7  Pr\fc fung #12 (x)"`,
	} {
		if got := cssString(in); got != want {
			t.Errorf("cssString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := pageCounter("Seite {page} von {pages}"); got != `"Seite " counter(page) " von " counter(pages)` {
		t.Errorf("pageCounter: %s", got)
	}
	if got := pageCounter("{page}/{pages} {other}"); got != `counter(page) "\2f " counter(pages) " \7b other\7d "` {
		t.Errorf("pageCounter: %s", got)
	}
}

func TestFindingsCSV(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := Write(rec, locale.Default(), sample(t), CSV, "de", nil); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("Content-Disposition") != `attachment; filename="reckon-review-12-contoso-prod.csv"` ||
		h.Get("Content-Security-Policy") != strictPolicy {
		t.Fatalf("headers %v", h)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		csvColumns,
		{"MS.AAD.1.1v1", "AAD", "", "Legacy authentication blocked", "high", "fail", "Detail of MS.AAD.1.1v1", "commented", "Blocked at the gateway", "", "", ""},
		{"MS.AAD.3.3v2", "AAD", "", "Phishing-resistant MFA", "high", "fail", "Detail of MS.AAD.3.3v2", "accepted", "Licences ordered", "2027-03-31", "", ""},
		{"MS.SECURITYSUITE.8.1v1", "SecuritySuite", "", "IP allow lists", "medium", "fail", "Detail of MS.SECURITYSUITE.8.1v1", "unexplained", "", "", "", ""},
		{"MS.TEAMS.1.1v1", "Teams", "", `'=HYPERLINK("http://evil.example") <script>alert(1)</script>`, "low", "warning", "Detail of MS.TEAMS.1.1v1", "", "", "", "true", "fail"},
		{"'@SUM(1)", "'+Product", "", "'-2+3", "info", "pass", "Detail of @SUM(1)", "", "", "", "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
}

// Every key the report names exists in every language, and every report key
// of the catalogs is named.
func TestReportTextIsCompleteInEveryLanguage(t *testing.T) {
	t.Parallel()
	cat := locale.Default()
	used := map[string]bool{}
	key := regexp.MustCompile(`"((?:report|console|review)\.[a-z0-9_.]+)"`)
	for _, f := range []string{"html.go", "report.html", "../../locale/labels.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 50 {
		t.Fatalf("only %d keys found: the scan is broken", len(used))
	}
	for k := range used {
		for _, lang := range locale.Languages {
			if !cat.Has(lang, k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
	for _, lang := range locale.Languages {
		for _, k := range cat.Keys(lang) {
			if strings.HasPrefix(k, "report.") && !used[k] {
				t.Errorf("nothing names %s", k)
			}
		}
	}
}

// In print, a product with many failing controls starts a page of its own,
// unless it is the first, which follows the part's heading; small products
// share pages.
func TestLargeProductsStartAPrintedPage(t *testing.T) {
	t.Parallel()
	d := sample(t)
	for i := range ownPage {
		d.Content.Failing = append(d.Content.Failing, review.ControlSummary{ControlID: "MS.EXO." + strconv.Itoa(i), Product: "EXO",
			Severity: reckon.SeverityLow, Status: reckon.FindingFail})
	}
	doc, err := render(locale.Default(), d, "en", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := string(doc.html)
	for _, want := range []string{`<section class="product keep" aria-labelledby="product-1">`, `<section class="product keep" aria-labelledby="product-2">`,
		`<section class="product new-page" aria-labelledby="product-3">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the document lacks %s", want)
		}
	}
}

// BenchmarkRealReport renders the report of a real ScubaGear assessment
// (tool 1.7.0, compared with the tenant's 1.6.0 assessment before it) as
// HTML and as CSV.
//
//	go test -run '^$' -bench RealReport ./internal/report
func BenchmarkRealReport(b *testing.B) {
	var snaps []*reckon.Snapshot
	for _, file := range reckontest.ScubaGearReports(b, "ScubaResults_ca08493a_2025-*_v1.[67].0.json") {
		f, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		in, err := scubagear.Decode(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		snaps = append(snaps, &reckon.Snapshot{ID: int64(len(snaps) + 1), CapturedAt: in.CapturedAt, FindingCount: len(in.Findings),
			Findings: in.Findings, Source: in.Source})
	}
	snap := snaps[len(snaps)-1]
	d := &Data{Workspace: &reckon.Workspace{Name: "Northwind"}, Environment: &reckon.Environment{Slug: "contoso", Name: "Contoso"},
		Review: &reckon.Review{ID: 1, Status: reckon.ReviewReady}, Snapshot: snap, Content: review.Compose(snap, snaps[0])}
	for _, format := range []Format{HTML, CSV} {
		b.Run(string(format), func(b *testing.B) {
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				if err := Write(rec, locale.Default(), d, format, "de", nil); err != nil {
					b.Fatal(err)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
