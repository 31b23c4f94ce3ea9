package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

// The report in a real browser: a person signs in, opens a review of real
// ScubaGear evidence from its page, and prints its report to PDF in English
// and in German. Each PDF is A4, every page carries the running header and
// its page number of the whole, and no page is blank; the pages go to the
// screenshot folder as PNGs (Debian's poppler-utils draws them). Then the
// report on a screen and the operations page with its runs chart, at 1280
// and 390 pixels wide.
func TestReportPrintsInARealBrowser(t *testing.T) {
	t.Parallel()
	tools := []string{chromiumPath(), "pdftoppm", "pdfinfo", "pdftotext"}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing: CI installs Debian's chromium and poppler-utils packages before the tests", tool)
			}
			t.Skipf("%s is missing: install Debian's chromium and poppler-utils packages to run the report's browser test", tool)
		}
	}
	if testing.Short() {
		t.Skip("the browser test is long")
	}
	ctx := context.Background()

	// Real time throughout: the browser, its cookies and the chart's days.
	clock := reckontest.NewClock(time.Now())
	clock.Follow()
	db := reckontest.Open(t, store.SQLite, &reckontest.Options{Clock: clock.Now})
	w := newWorld(t, db, clock)

	// Two assessments of one tenant by two tool versions: the second
	// review compares with the first across them.
	var v *reckon.Review
	for _, file := range reckontest.ScubaGearReports(t, "ScubaResults_ca08493a_2025-*_v1.[67].0.json") {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		in, err := scubagear.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		w.importInput(t, w.envA1, in)
		v, _ = w.composed(t, w.envA1, w.users["owner"])
	}
	// Runs over the last weeks for the chart, each outcome on some days.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i, batch := range []struct {
		outcome reckon.Outcome
		days    []int
		n       int
	}{
		{reckon.OutcomeSucceeded, []int{0, 1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15, 18, 20, 22, 25, 27}, 4},
		{reckon.OutcomeFailed, []int{1, 4, 9, 16, 23}, 2},
		{reckon.OutcomeBlocked, []int{2, 11}, 1},
		{reckon.OutcomePartiallySucceeded, []int{6, 19}, 1},
		{reckon.OutcomeCancelled, []int{13}, 1},
	} {
		for _, d := range batch.days {
			at := today.AddDate(0, 0, -d).Add(time.Duration(9+i) * time.Hour)
			w.tx(t, func(tx *store.Tx) error {
				return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scopeOf(w.envA1), Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: batch.outcome, Count: batch.n + d%3, KeyPrefix: fmt.Sprintf("browser-%s-%d-", batch.outcome, d),
					CreatedAt: at, DeadlineAt: at})
			})
		}
	}

	b := openBrowser(t, w.server.URL)
	do := b.do
	owner := w.users["owner"]
	do("sign in",
		chromedp.Navigate(w.server.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("login-email"), owner.Email),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.CSS(`form.stacked button[type="submit"]`)),
		// Signed in: the header names the user.
		chromedp.WaitVisible(chromedp.CSS("a.who")),
	)

	// The review page's Report link opens the document.
	do("open the report from the review",
		chromedp.Navigate(w.server.URL+reviewPath(w.wsA, v.ID)),
		chromedp.Click(chromedp.ID("report-link")),
		chromedp.WaitVisible(chromedp.CSS("#failing-heading")),
	)
	for _, lang := range []string{"en", "de"} {
		if lang == "de" {
			do("open the German report", chromedp.Navigate(w.server.URL+reviewPath(w.wsA, v.ID)+"/report?lang=de"),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] #failing-heading`)))
		}
		step, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		pdf, err := chromedp.Call(step, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: ptr(true), PrintBackground: ptr(true)})
		cancel()
		if err != nil {
			t.Fatalf("print the %s report: %v", lang, err)
		}
		checkPrinted(t, b.dir, "report-"+lang, pdf.Data, tr(lang, "report.title", "id", strconv.FormatInt(v.ID, 10)),
			func(i, n int) string { return tr(lang, "report.print.page", "page", i, "pages", n) })
	}

	// The report on a screen, wide and narrow.
	for _, width := range []int64{1280, 390} {
		do("open the report", chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.server.URL+reviewPath(w.wsA, v.ID)+"/report"),
			chromedp.WaitVisible(chromedp.CSS("#failing-heading")))
		b.snap("report-screen", width)
	}

	// The operations page with its chart, at both widths.
	ops := "/admin/workspaces/" + w.wsA.Slug + "/operations"
	for _, c := range []struct{ name, query string }{{"operations-chart", "?days=30"}, {"operations-chart-90", "?days=90&outcome=failed"}} {
		for _, width := range []int64{1280, 390} {
			do("open "+c.name, chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.server.URL+ops+c.query),
				chromedp.WaitVisible(chromedp.CSS(".runs-chart-svg")))
			b.snap(c.name, width)
		}
	}
	// German, on a phone.
	do("switch to German", chromedp.Navigate(w.server.URL+ops+"?days=14"),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="de"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] .runs-chart-svg`)))
	b.snap("operations-chart-de", 390)
}

// importInput stores decoded evidence for an environment.
func (w *world) importInput(t testing.TB, env *reckon.Environment, in reckon.SnapshotInput) {
	t.Helper()
	if _, _, err := evidence.NewService(w.db).Import(context.Background(), scopeOf(env), in); err != nil {
		t.Fatal(err)
	}
}

// checkPrinted writes a printed PDF and its pages as PNGs to dir and checks
// them: A4, every page headed with the review's title and numbered "i of
// n", none blank.
func checkPrinted(t *testing.T, dir, name string, pdf []byte, heading string, numbered func(i, n int) string) {
	t.Helper()
	file := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", file).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", file, err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil || !regexp.MustCompile(`(?m)^Page size:.*\(A4\)$`).Match(info) {
		t.Fatalf("%s is not A4 pages:\n%s", name, info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	// The summary, the failing controls and the changes start pages of
	// their own.
	if pages < 3 {
		t.Errorf("%s has %d pages, want the summary, failing controls and changes on their own", name, pages)
	}
	text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	sheets := strings.Split(strings.TrimSuffix(string(text), "\f"), "\f")
	if len(sheets) != pages {
		t.Fatalf("%s: %d pages of text for %d pages", name, len(sheets), pages)
	}
	for i, sheet := range sheets {
		if !strings.Contains(sheet, heading) || !strings.Contains(sheet, numbered(i+1, pages)) {
			t.Errorf("%s page %d lacks its running header %q or footer %q:\n%s", name, i+1, heading, numbered(i+1, pages), sheet)
		}
	}
	prefix := filepath.Join(dir, name)
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", file, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", file, err, out)
	}
	pngs, err := filepath.Glob(prefix + "-*.png")
	if err != nil || len(pngs) != pages {
		t.Fatalf("%s: %d PNGs for %d pages: %v", name, len(pngs), pages, err)
	}
	for _, p := range pngs {
		if ink := inkBelowHeader(t, p); ink < 0.01 {
			t.Errorf("%s is blank below its header: %.4f of it inked", p, ink)
		}
	}
}

// inkBelowHeader is the share of a page's pixels between its running header
// and footer that are not white.
func inkBelowHeader(t *testing.T, file string) float64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	r := img.Bounds()
	body := image.Rect(r.Min.X, r.Min.Y+r.Dy()/10, r.Max.X, r.Max.Y-r.Dy()/10)
	var inked, all int
	for y := body.Min.Y; y < body.Max.Y; y++ {
		for x := body.Min.X; x < body.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			all++
			if cr < 0xe000 || cg < 0xe000 || cb < 0xe000 {
				inked++
			}
		}
	}
	return float64(inked) / float64(all)
}

func ptr[T any](v T) *T { return &v }
