package console_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/internal/seed"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// chromiumPath is Debian's Chromium, or the one RECKON_CHROMIUM names; the
// test never downloads a browser.
func chromiumPath() string {
	if p := os.Getenv("RECKON_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// ScreenshotDirEnv names the folder the browser test writes its
// screenshots to; a temporary folder when unset.
const ScreenshotDirEnv = "RECKON_SCREENSHOT_DIR"

// The real-browser test: a person signs in to the demo console, composes a
// review from an environment's dashboard, follows the operation and sees it
// complete without reloading, views the review, and reads the decision in
// German. A real queue worker composes the review in this process. Along
// the way it photographs the demo's pages at 1280 and 390 pixels wide.
func TestConsoleInARealBrowser(t *testing.T) {
	t.Parallel()
	demo := startDemo(t)
	ctx := context.Background()
	db, srv, login := demo.db, demo.srv, demo.login

	// What the demo holds, to know where to go.
	var (
		northwind, fabrikam *reckon.Workspace
		prod, staging       *reckon.Environment
		blocked, stalled    *reckon.Run
		published           *reckon.Review
	)
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		if northwind, err = tx.WorkspaceBySlug(ctx, "northwind"); err != nil {
			return err
		}
		if fabrikam, err = tx.WorkspaceBySlug(ctx, "fabrikam"); err != nil {
			return err
		}
		if prod, err = tx.EnvironmentBySlug(ctx, northwind.ID, "contoso-prod"); err != nil {
			return err
		}
		if staging, err = tx.EnvironmentBySlug(ctx, northwind.ID, "contoso-staging"); err != nil {
			return err
		}
		runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: northwind.ID, Limit: 100})
		if err != nil {
			return err
		}
		for _, run := range runs {
			if run.Outcome == reckon.OutcomeBlocked {
				blocked = run
			}
			if rc := run.Context.Reconciliation; rc != nil && rc.ReasonCode == review.ReasonComposeStalled {
				stalled = run
			}
		}
		list, err := tx.Reviews(ctx, northwind.ID, store.ReviewFilter{EnvironmentID: prod.ID, Status: reckon.ReviewPublished, Limit: 1})
		if err != nil || len(list) == 0 {
			return fmt.Errorf("no published review: %v", err)
		}
		published = list[0]
		return nil
	})
	if err != nil || blocked == nil || stalled == nil {
		t.Fatalf("the demo lacks what the test looks at: %v (blocked %v, stalled %v)", err, blocked, stalled)
	}

	b := openBrowser(t, srv.URL)
	do, eval, snap, shoot := b.do, b.eval, b.snap, b.shoot

	// The sign-in page; a wrong password leaves the focus in its field.
	shoot("login", "/login")
	do("fail to sign in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("login-email"), login.Email),
		chromedp.SendKeys(chromedp.ID("login-password"), "not the password"),
		chromedp.Click(chromedp.CSS(`form.stacked button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("login-error")),
	)
	if focus := eval("focus after a failed sign-in", `document.activeElement ? document.activeElement.id : ""`); focus != "login-password" {
		t.Fatalf("after a failed sign-in the focus is on %q", focus)
	}
	b.signIn(login)
	// The stylesheet and the script are the console's own files, allowed
	// by its policy: the header has its colour.
	if bg := eval("header colour", `getComputedStyle(document.querySelector(".site-header")).backgroundColor`); bg != "rgb(20, 33, 61)" {
		t.Fatalf("the stylesheet did not apply: header background %s", bg)
	}

	// New evidence arrives for the production tenant.
	importEvidence(t, db, northwind.ID, prod.ID)

	// Compose from the dashboard: the queued message, with its link.
	dashboard := fmt.Sprintf("/admin/workspaces/northwind/environments/%d", prod.ID)
	do("compose from the dashboard",
		chromedp.Navigate(srv.URL+dashboard),
		chromedp.Click(chromedp.ID("compose-button")),
		chromedp.WaitVisible(chromedp.CSS(".flash a")),
	)
	if msg := eval("flash", `document.querySelector(".flash").textContent`); !strings.Contains(msg, en("review.result.queued")) ||
		!strings.Contains(msg, en("console.action.open_operation")) {
		t.Fatalf("compose feedback: %q", msg)
	}
	// Follow Open operation: the run is active and its page refreshes
	// itself.
	do("open the operation",
		chromedp.Click(chromedp.CSS(".flash a")),
		chromedp.WaitVisible(chromedp.ID("decision-sentence")),
	)
	operation := eval("location", `location.pathname`)
	if !strings.HasPrefix(operation, "/admin/workspaces/northwind/operations/") {
		t.Fatalf("Open operation went to %s", operation)
	}
	if live := eval("live", `String(document.querySelector("#run-state[data-live]") !== null)`); live != "true" {
		t.Fatalf("the run was not active when its page opened: %s", eval("decision", `document.body.innerText`))
	}
	eval("mark the page", `window.reckonTestMark = "same page"; "ok"`)

	// The worker completes the run; the page shows it without a reload.
	do("wait for the run to complete",
		chromedp.Poll[chromedp.Void](`(() => { const a = document.querySelector("#primary-action a"); return a !== null && a.textContent.trim() === `+
			jsString(en("console.action.view_review"))+`; })()`, chromedp.WithPollingTimeout(40*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)),
	)
	if mark := eval("page mark", `String(window.reckonTestMark)`); mark != "same page" {
		t.Fatal("the page was reloaded instead of refreshed in place")
	}
	if sentence := eval("decision", `document.querySelector("#decision-sentence").textContent.trim()`); sentence != en(review.ReasonAvailable) {
		t.Fatalf("decision after completion: %q", sentence)
	}
	if live := eval("live", `String(document.querySelector("#run-state[data-live]") !== null)`); live != "false" {
		t.Fatal("the completed run is still marked live")
	}

	// View the review.
	do("view the review",
		chromedp.Click(chromedp.CSS("#primary-action a")),
		chromedp.WaitVisible(chromedp.ID("failing-heading")),
	)
	if h1 := eval("review heading", `document.querySelector("main h1").textContent`); !strings.Contains(h1, "Review #") {
		t.Fatalf("review page heading %q", h1)
	}

	// Another environment's queued message, photographed.
	importEvidence(t, db, northwind.ID, staging.ID)
	do("compose in staging",
		chromedp.Navigate(srv.URL+fmt.Sprintf("/admin/workspaces/northwind/environments/%d", staging.ID)),
		chromedp.Click(chromedp.ID("compose-button")),
		chromedp.WaitVisible(chromedp.CSS(".flash a")),
	)
	snap("dashboard-queued", 1280)
	// The run completes while the dashboard is open: its panels show the
	// ready review and the compose message goes, without a reload.
	eval("mark the dashboard", `window.reckonTestMark = "same dashboard"; "ok"`)
	do("wait for the dashboard to show the review",
		chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector("#review-panel .review-summary .badge"); return b !== null && b.textContent.trim() === `+
			jsString(en("review.status.ready"))+` && document.getElementById("flash") === null; })()`,
			chromedp.WithPollingTimeout(40*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)),
	)
	if mark := eval("dashboard mark", `String(window.reckonTestMark)`); mark != "same dashboard" {
		t.Fatal("the dashboard was reloaded instead of refreshed in place")
	}
	if label := eval("compose button", `document.getElementById("compose-button").textContent.trim()`); label != en("console.action.refresh") {
		t.Fatalf("the compose button after the review: %q", label)
	}
	snap("dashboard-composed", 1280)

	// Composing again is up to date, with the review's link, on a phone.
	do("compose again on a narrow screen",
		chromedp.EmulateViewport(390, 900),
		chromedp.Navigate(srv.URL+dashboard),
		chromedp.Click(chromedp.ID("compose-button")),
		chromedp.WaitVisible(chromedp.CSS(".flash a")),
	)
	if msg := eval("flash", `document.querySelector(".flash").textContent`); !strings.Contains(msg, en("review.result.up_to_date")) ||
		!strings.Contains(msg, en("console.action.view_review")) {
		t.Fatalf("compose again: %q", msg)
	}
	snap("dashboard-up-to-date", 390)
	do("back to desktop width", chromedp.EmulateViewport(1280, 900))

	// The demo's pages, in English.
	shoot("workspaces", "/admin")
	shoot("environments", "/admin/workspaces/northwind")
	shoot("dashboard", dashboard)
	shoot("operations", "/admin/workspaces/northwind/operations")
	shoot("operations-filtered", "/admin/workspaces/northwind/operations?outcome=failed&reconciled=1")
	shoot("operation-succeeded", operation)
	shoot("operation-blocked", fmt.Sprintf("/admin/workspaces/northwind/operations/%d", blocked.ID))
	shoot("operation-stalled", fmt.Sprintf("/admin/workspaces/northwind/operations/%d", stalled.ID))
	shoot("reviews", "/admin/workspaces/northwind/reviews")
	shoot("review-published", fmt.Sprintf("/admin/workspaces/northwind/reviews/%d", published.ID))
	shoot("review-new", reviewPathOf(t, db, northwind.ID, operation))
	shoot("fabrikam-operations", "/admin/workspaces/"+fabrikam.Slug+"/operations")
	shoot("notifications", "/notifications")
	shoot("system-runs", "/system/ops/runs")
	shoot("system-run", fmt.Sprintf("/system/ops/runs/%d", blocked.ID))
	shoot("operations-past-deadline", fmt.Sprintf("/admin/workspaces/northwind/operations?environment=%d&past_deadline=true", prod.ID))
	shoot("notifications-failures", "/notifications?show=failures")
	shoot("settings", "/settings")
	// River UI, for platform support, from the system runs page's link.
	do("open the job queue",
		chromedp.Navigate(srv.URL+"/system/ops/runs"),
		chromedp.Click(chromedp.CSS(`a[href="/system/queue/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/system/queue/jobs"]`)),
		chromedp.Navigate(srv.URL+"/system/queue/jobs?state=completed"),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/system/queue/jobs/"]`)),
	)
	snap("system-queue", 1280)

	// Switch to German on the operation's page: its decision in German.
	do("switch to German",
		chromedp.Navigate(srv.URL+operation),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="de"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] #decision-sentence`)),
	)
	if path := eval("location", `location.pathname`); path != operation {
		t.Fatalf("the switch went to %s, not back to %s", path, operation)
	}
	if sentence := eval("German decision", `document.querySelector("#decision-sentence").textContent.trim()`); sentence != locale.Default().Translate("de", review.ReasonAvailable, nil) {
		t.Fatalf("German decision: %q", sentence)
	}
	shoot("operation-succeeded-de", operation)
	shoot("operation-blocked-de", fmt.Sprintf("/admin/workspaces/northwind/operations/%d", blocked.ID))
	shoot("dashboard-de", dashboard)
	shoot("review-published-de", fmt.Sprintf("/admin/workspaces/northwind/reviews/%d", published.ID))
	shoot("environments-de", "/admin/workspaces/northwind")
	shoot("operation-stalled-de", fmt.Sprintf("/admin/workspaces/northwind/operations/%d", stalled.ID))
	shoot("notifications-de", "/notifications")
	shoot("settings-de", "/settings")
}

// importEvidence stores new evidence for an environment, as an assessment
// tool would.
func importEvidence(t *testing.T, db *store.DB, workspaceID, environmentID int64) {
	t.Helper()
	_, _, err := evidence.NewService(db).Import(context.Background(), reckon.Scope{WorkspaceID: workspaceID, EnvironmentID: environmentID}, reckon.SnapshotInput{
		CapturedAt: time.Now().UTC().Add(-time.Minute),
		Findings: []reckon.Finding{
			{ControlID: "MS.AAD.3.1v1", Title: "Phishing-resistant MFA is enforced for all users", Product: "Entra ID", Severity: reckon.SeverityCritical, Status: reckon.FindingPass},
			{ControlID: "MS.EXO.2.2v2", Title: "An SPF policy lists the approved senders", Product: "Exchange Online", Severity: reckon.SeverityMedium, Status: reckon.FindingFail},
			{ControlID: "MS.TEAMS.1.1v1", Title: "External participants cannot request control of shared content", Product: "Teams", Severity: reckon.SeverityLow, Status: reckon.FindingPass},
		},
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// reviewPathOf is the review a compose run's page leads to.
func reviewPathOf(t *testing.T, db *store.DB, workspaceID int64, operation string) string {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(operation, "/admin/workspaces/northwind/operations/%d", &id); err != nil {
		t.Fatal(err)
	}
	var v *reckon.Review
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		v, err = tx.ReviewOfRun(context.Background(), workspaceID, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("/admin/workspaces/northwind/reviews/%d", v.ID)
}

// startChromium starts Debian's headless Chromium with a fresh profile and
// nothing that talks to the network on its own.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath(), err)
	}
	return ctx
}

// jsString quotes a Go string for JavaScript.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// demoConsole is the demo served as reckon serve --demo serves it: its own
// database, a real queue working jobs in this process, River UI, and the
// console with every service.
type demoConsole struct {
	db    *store.DB
	app   *app.App
	srv   *httptest.Server
	login *seed.Login
}

// startDemo seeds and serves the demo, or skips the test without Chromium
// (fails in CI).
func startDemo(t *testing.T) *demoConsole {
	t.Helper()
	if _, err := os.Stat(chromiumPath()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: CI installs Debian's chromium package before the tests", chromiumPath())
		}
		t.Skipf("%s is missing: install Debian's chromium package (or set RECKON_CHROMIUM) to run the browser test", chromiumPath())
	}
	if testing.Short() {
		t.Skip("the browser test is long")
	}
	ctx := context.Background()
	clock := reckon.NewManualClock(reckon.SystemClock())
	db := reckontest.Open(t, store.SQLite, &reckontest.Options{Clock: clock.Now})
	// The job pauses while its review is a draft, so that the page sees the
	// run active before it completes.
	a, err := app.New(db, &app.Options{Work: true, PollInterval: 100 * time.Millisecond, ComposeDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	login, err := seed.Demo(ctx, a, clock, &seed.Options{})
	clock.Follow()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Queue.Stop(stop)
	})
	queueUI, err := a.Queue.UI(console.QueuePath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := queueUI.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := console.New(console.Deps{DB: db, Catalog: a.Catalog, Reviews: a.Reviews, Reconciler: a.Reconciler,
		Operator: a.Operator, Logger: slog.New(slog.DiscardHandler), LiveInterval: 500 * time.Millisecond, QueueUI: queueUI})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &demoConsole{db: db, app: a, srv: srv, login: login}
}

// browser is a headless Chromium on the console at base, writing its
// screenshots to $RECKON_SCREENSHOT_DIR (a temporary folder when unset).
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

func openBrowser(t *testing.T, base string) *browser {
	t.Helper()
	dir := os.Getenv(ScreenshotDirEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &browser{t: t, ctx: startChromium(t), base: base, dir: dir}
}

// do takes steps, failing the test when they fail.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	step, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(step, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval runs a script in the page and returns its answer.
func (b *browser) eval(what, js string) string {
	b.t.Helper()
	step, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(step, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// snap photographs the page as it is, the whole length of it, and checks
// that nothing is wider than the window.
func (b *browser) snap(name string, width int64) {
	b.t.Helper()
	png, err := b.capture(name, width)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if w := b.eval("width of "+name, `String(document.documentElement.scrollWidth)`); w != fmt.Sprint(width) {
		b.t.Errorf("%s at %d px is %s px wide", name, width, w)
	}
}

// capture takes a full-page screenshot at the given window width.
// Headless Chromium answers a capture with the compositor's next frame, and
// on a loaded machine an idle compositor has been seen to leave a capture
// of a finished, static page unanswered. So the page draws two frames
// first, and a capture that still gets no answer is tried once more after
// setting the viewport again, which makes the compositor draw. A capture
// is a picture of what the test has already checked, not a check itself.
func (b *browser) capture(name string, width int64) ([]byte, error) {
	b.t.Helper()
	const drawn = `new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done("drawn"))))`
	for try := 1; ; try++ {
		step, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		var png []byte
		_, err := chromedp.Run(step, chromedp.Evaluate[string](drawn, chromedp.EvalAwaitPromise))
		if err == nil {
			png, err = chromedp.Run(step, chromedp.FullScreenshot(100))
		}
		stalled := errors.Is(step.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil || !stalled || try == 2 {
			return png, err
		}
		b.t.Logf("screenshot %s: no frame in 20 s: setting the viewport again", name)
		b.do("wake the compositor", chromedp.EmulateViewport(width, 900))
	}
}

// shoot opens a page at both widths and photographs it.
func (b *browser) shoot(name, path string) {
	b.t.Helper()
	for _, width := range []int64{1280, 390} {
		b.do("open "+path, chromedp.EmulateViewport(width, 900), chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		b.snap(name, width)
	}
	b.do("back to desktop width", chromedp.EmulateViewport(1280, 900))
}

// signIn signs in to the demo, in the browser's language (English).
func (b *browser) signIn(login *seed.Login) {
	b.t.Helper()
	b.do("sign in",
		chromedp.Navigate(b.base+"/login"),
		chromedp.SendKeys(chromedp.ID("login-email"), login.Email),
		chromedp.SendKeys(chromedp.ID("login-password"), login.Password),
		chromedp.Click(chromedp.CSS(`form.stacked button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/workspaces/northwind"]`)),
	)
}
