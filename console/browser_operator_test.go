package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// The operator's day in a real browser, on the demo: retry a failed run
// and watch its retry complete, cancel a queued run, resolve the demo's
// ambiguity by keeping the ready review, read the timelines that record it
// all, and act on every failed run a filter matches — in English and in
// German, photographed at 1280 and 390 pixels wide.
func TestOperatorActionsInARealBrowser(t *testing.T) {
	t.Parallel()
	demo := startDemo(t)
	ctx := context.Background()
	db := demo.db
	var (
		northwind        *reckon.Workspace
		blocked, stalled *reckon.Run
		kept, other      *reckon.Review
		queued           *reckon.Run
	)
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		if northwind, err = tx.WorkspaceBySlug(ctx, "northwind"); err != nil {
			return err
		}
		runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: northwind.ID, Limit: 100})
		if err != nil {
			return err
		}
		for _, run := range runs {
			if review.Ambiguous(run) {
				blocked = run
			}
			if rc := run.Context.Reconciliation; rc != nil && rc.ReasonCode == review.ReasonComposeStalled {
				stalled = run
			}
		}
		if blocked == nil || stalled == nil {
			return fmt.Errorf("blocked %v, stalled %v", blocked, stalled)
		}
		competitors, err := review.Competitors(ctx, tx, blocked)
		if err != nil {
			return err
		}
		for _, v := range competitors {
			if v.Status == reckon.ReviewReady {
				kept = v
			} else {
				other = v
			}
		}
		if kept == nil || other == nil {
			return fmt.Errorf("competitors %v", competitors)
		}
		// A run that waits in the queue for a worker that is not coming.
		now := tx.Now()
		if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: blocked.Scope(), Type: reckon.RunTypeRestoreExecute,
			Status: reckon.RunQueued, Count: 1, KeyPrefix: "browser-queued:", CreatedAt: now, DeadlineAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		queuedRuns, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: northwind.ID, Status: reckon.RunQueued, Limit: 1})
		if err == nil && len(queuedRuns) == 1 {
			queued = queuedRuns[0]
		}
		return err
	})
	if err != nil || queued == nil {
		t.Fatalf("the demo lacks what the test looks at: %v", err)
	}
	runPath := func(id int64) string { return fmt.Sprintf("/admin/workspaces/northwind/operations/%d", id) }
	b := openBrowser(t, demo.srv.URL)
	b.signIn(demo.login)
	flash := func() string {
		return b.eval("flash", `document.querySelector(".flash") ? document.querySelector(".flash").textContent : ""`)
	}
	text := func(what, css string) string {
		return b.eval(what, `(() => { const e = document.querySelector(`+jsString(css)+`); return e ? e.innerText : ""; })()`)
	}

	// Retry the failed run: new evidence has come for its environment, so
	// the retry composes it. The note goes with it.
	importEvidence(t, db, northwind.ID, stalled.EnvironmentID)
	b.shoot("operator-failed", runPath(stalled.ID))
	b.do("retry the failed run",
		chromedp.Navigate(b.base+runPath(stalled.ID)),
		chromedp.SendKeys(chromedp.ID("run-note"), "the worker is back"),
		chromedp.Click(chromedp.CSS(`#primary-action button[formaction$="/retry"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash a")),
	)
	b.snap("operator-retried", 1280)
	if msg := flash(); !strings.Contains(msg, "Retried: run #") || !strings.Contains(msg, en("console.action.open_operation")) {
		t.Fatalf("retry's message: %q", msg)
	}
	b.do("open the retry",
		chromedp.Click(chromedp.CSS(".flash a")),
		chromedp.WaitVisible(chromedp.ID("timeline-heading")),
		chromedp.Poll[chromedp.Void](`(() => { const a = document.querySelector("#primary-action a"); return a !== null && a.textContent.trim() === `+
			jsString(en("console.action.view_review"))+`; })()`, chromedp.WithPollingTimeout(40*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)),
	)
	retryPath := b.eval("location", `location.pathname`)
	// Its timeline: who started it, the attempt on this process's node,
	// the job that ended it, and the run it retries.
	timeline := text("timeline", ".timeline")
	for _, want := range []string{en("console.timeline.created", "who", "Alex Morgan"), en("console.timeline.started"), "Attempt 1 on node ",
		en("console.timeline.completed", "who", en("console.actor.job")), en("console.timeline.retry_of"), fmt.Sprintf("#%d", stalled.ID)} {
		if !strings.Contains(timeline, want) {
			t.Fatalf("the retry's timeline lacks %q:\n%s", want, timeline)
		}
	}
	// Platform support follows the queue job to River UI.
	if href := b.eval("queue job", `(() => { const a = document.querySelector('.timeline a[href^="/system/queue/jobs/"]'); return a ? a.getAttribute("href") : ""; })()`); href == "" {
		t.Fatal("the timeline does not link the queue job for platform support")
	}
	b.shoot("operator-retry-timeline", retryPath)
	// The failed run now leads to its retry; the note is in its timeline.
	b.do("back to the failed run", chromedp.Navigate(b.base+runPath(stalled.ID)), chromedp.WaitVisible(chromedp.ID("timeline-heading")))
	if got := text("timeline", ".timeline"); !strings.Contains(got, en("console.timeline.retried", "who", "Alex Morgan")) || !strings.Contains(got, "the worker is back") {
		t.Fatalf("the failed run's timeline:\n%s", got)
	}

	// Cancel the queued run.
	b.do("cancel the queued run",
		chromedp.Navigate(b.base+runPath(queued.ID)),
		chromedp.SendKeys(chromedp.ID("run-note"), "wrong backup"),
		chromedp.Click(chromedp.CSS(`button[formaction$="/cancel"]`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if msg := flash(); !strings.Contains(msg, en("console.flash.cancelled")) {
		t.Fatalf("cancel's message: %q", msg)
	}
	if sentence := text("decision", "#decision-sentence"); sentence != en(reckon.ReasonCancelled) {
		t.Fatalf("the cancelled run says %q", sentence)
	}
	b.snap("operator-cancelled", 1280)

	// Resolve the ambiguity: the competing reviews side by side, keep the
	// ready one and publish it.
	b.shoot("operator-ambiguity", runPath(blocked.ID))
	b.do("open the ambiguity", chromedp.Navigate(b.base+runPath(blocked.ID)), chromedp.WaitVisible(chromedp.ID("resolve")))
	if same := b.eval("side by side", `(() => { const c = document.querySelectorAll(".competitor-cards > li");
		return String(c.length === 2 && c[0].getBoundingClientRect().top === c[1].getBoundingClientRect().top); })()`); same != "true" {
		t.Fatal("the competing reviews are not side by side")
	}
	b.do("resolve",
		chromedp.Click(chromedp.CSS(`#primary-action a[href="#resolve"]`)),
		chromedp.Click(chromedp.ID(fmt.Sprintf("keep-%d", kept.ID))),
		chromedp.Click(chromedp.ID("resolve-publish")),
		chromedp.SendKeys(chromedp.ID("resolve-note"), "the migrated copy is the one we sent"),
		chromedp.Click(chromedp.ID("resolve-button")),
		chromedp.WaitVisible(chromedp.ID("resolved")),
	)
	if msg := flash(); !strings.Contains(msg, fmt.Sprintf("Resolved: review #%d is kept (%s)", kept.ID, en("review.status.published"))) {
		t.Fatalf("resolve's message: %q", msg)
	}
	b.snap("operator-resolved", 1280)
	timeline = text("timeline", ".timeline")
	if !strings.Contains(timeline, en("console.timeline.resolved", "who", "Alex Morgan")) || !strings.Contains(timeline, "the migrated copy is the one we sent") {
		t.Fatalf("the blocked run's timeline:\n%s", timeline)
	}
	b.shoot("operator-resolved", runPath(blocked.ID))
	// The run that records it, from the timeline.
	resolution := b.eval("resolution", `document.querySelector(".timeline-entry:last-child a[href*='/operations/']").getAttribute("href")`)
	b.do("open the resolution", chromedp.Navigate(b.base+resolution), chromedp.WaitVisible(chromedp.ID("timeline-heading")))
	if sentence := text("decision", "#decision-sentence"); sentence != en(review.ReasonAmbiguityResolved) {
		t.Fatalf("the resolution says %q", sentence)
	}
	b.shoot("operator-resolution", resolution)
	var archived *reckon.Review
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		archived, err = tx.Review(ctx, northwind.ID, other.ID)
		return err
	}); err != nil || archived.Status != reckon.ReviewArchived {
		t.Fatalf("the other review: %+v %v", archived, err)
	}

	// Bulk: acknowledge every failed run the filter matches.
	list := "/admin/workspaces/northwind/operations?outcome=failed"
	b.shoot("operator-bulk-form", list)
	b.do("ask to acknowledge every failed run",
		chromedp.Navigate(b.base+list),
		chromedp.SetValue(chromedp.ID("bulk-action"), "acknowledge"),
		chromedp.Click(chromedp.CSS(`.bulk-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("bulk-confirm")),
	)
	question := text("question", "main h1")
	if !strings.HasPrefix(question, "Acknowledge ") || !strings.HasSuffix(question, " matching this filter?") {
		t.Fatalf("the confirmation asks %q", question)
	}
	confirm := b.eval("location", `location.pathname + location.search`)
	b.shoot("operator-bulk-confirm", confirm)
	b.do("confirm",
		chromedp.Navigate(b.base+confirm),
		chromedp.Click(chromedp.ID("bulk-confirm")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if msg := flash(); !strings.Contains(msg, "matched") || !strings.Contains(msg, "changed") {
		t.Fatalf("bulk's message: %q", msg)
	}
	b.snap("operator-bulk-done", 1280)

	// In German.
	b.do("switch to German",
		chromedp.Navigate(b.base+runPath(blocked.ID)),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="de"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] #resolved`)),
	)
	if heading := text("timeline heading", "#timeline-heading"); heading != de("console.timeline.heading") {
		t.Fatalf("German timeline heading %q", heading)
	}
	b.shoot("operator-resolved-de", runPath(blocked.ID))
	b.shoot("operator-resolution-de", resolution)
	b.shoot("operator-retry-timeline-de", retryPath)
	b.shoot("operator-bulk-confirm-de", confirm)
	b.shoot("operator-failed-de", runPath(stalled.ID))
}
