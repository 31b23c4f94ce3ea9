package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// failedRun is a compose run of env that its job failed.
func (w *world) failedRun(t *testing.T, env *reckon.Environment, key string) *reckon.Run {
	t.Helper()
	run := w.queuedRun(t, env, key)
	w.tx(t, func(tx *store.Tx) (err error) {
		run, _, err = w.ledger.Complete(context.Background(), tx, run.ID,
			&ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleRunning, Actor: "job"})
		return err
	})
	return run
}

// audit lists a run's audit events as "action actor note", oldest first.
func (w *world) audit(t *testing.T, runID int64) []string {
	t.Helper()
	return reckontest.AuditTrail(t, w.db, w.wsA.ID, "operation_run", runID)
}

func userActor(u *reckon.User) string { return fmt.Sprintf("user:%d", u.ID) }

// post sends a run action's form with a note.
func (c *client) act(t *testing.T, ws *reckon.Workspace, runID int64, action string, form url.Values) *page {
	t.Helper()
	return c.post(t, opPath(ws, runID)+"/"+action, form)
}

// Retry: a failed run gets a new run linked both ways; the page says so
// with the link; a second click changes nothing and says that; one audit
// event; roles and workspaces hold.
func TestRetryFromTheRunPage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		failed := w.failedRun(t, w.envA2, "retry-me")
		w.importSnapshot(t, w.envA2, start.Add(-time.Hour), baseFindings...)
		operator := w.as(t, "operator")

		// The page offers Retry, with the note field, first.
		expect(t, operator.get(t, opPath(w.wsA, failed.ID)), http.StatusOK,
			`<form method="post" action="`+opPath(w.wsA, failed.ID)+`/retry" class="run-actions">`, en("console.actions.note"),
			`class="button button-primary">`+en("console.action.retry")+`</button>`, en("console.action.acknowledge"))
		lacks(t, w.as(t, "readonly").get(t, opPath(w.wsA, failed.ID)), `>`+en("console.action.retry")+`</button>`, `name="note"`)

		expect(t, w.as(t, "readonly").act(t, w.wsA, failed.ID, "retry", nil), http.StatusForbidden)
		expect(t, w.as(t, "restricted").act(t, w.wsA, failed.ID, "retry", nil), http.StatusNotFound)
		expect(t, w.as(t, "outsider").act(t, w.wsA, failed.ID, "retry", nil), http.StatusNotFound)
		expect(t, w.as(t, "outsider").act(t, w.wsB, failed.ID, "retry", nil), http.StatusNotFound)

		p := operator.follow(t, operator.act(t, w.wsA, failed.ID, "retry", url.Values{"note": {"worker fixed"}}))
		run := w.run(t, w.wsA.ID, failed.ID)
		retry := w.run(t, w.wsA.ID, run.Context.RetriedBy)
		if retry.Context.RetryOf != failed.ID || retry.Status != reckon.RunQueued || run.Outcome != reckon.OutcomeFailed {
			t.Fatalf("lineage: %+v → %+v", run.Context, retry.Context)
		}
		text, href := flashOf(t, p)
		if !strings.Contains(text, en("console.flash.retry_queued", "run", fmt.Sprintf("#%d", retry.ID))) || href != opPath(w.wsA, retry.ID) {
			t.Fatalf("retry's message: %s (%s)", text, href)
		}
		// Now the page leads to the retry and offers no second one.
		expect(t, p, http.StatusOK, `href="`+opPath(w.wsA, retry.ID)+`">`+en("console.action.open_retry"))
		lacks(t, p, `>`+en("console.action.retry")+`</button>`)

		p = operator.follow(t, operator.act(t, w.wsA, failed.ID, "retry", nil))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-info") ||
			!strings.Contains(text, en("console.flash.retried_already", "run", fmt.Sprintf("#%d", retry.ID))) {
			t.Fatalf("second retry: %s", text)
		}
		want := []string{"run.completed job ", "run.retried " + userActor(w.users["operator"]) + " worker fixed"}
		if got := w.audit(t, failed.ID); !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
		// An active run cannot be retried: the page says why.
		p = operator.follow(t, operator.act(t, w.wsA, retry.ID, "retry", nil))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-error") ||
			!strings.Contains(text, en("operator.not_retryable", "outcome", "pending")) {
			t.Fatalf("retry of an active run: %s", text)
		}
		// In German.
		operator.lang = "de"
		p = operator.follow(t, operator.act(t, w.wsA, failed.ID, "retry", nil))
		if text, _ := flashOf(t, p); !strings.Contains(text, de("console.flash.retried_already", "run", fmt.Sprintf("#%d", retry.ID))) {
			t.Fatalf("German: %s", text)
		}
	})
}

// Cancel: a queued run is cancelled with its job, once; the note is in its
// one terminal audit event.
func TestCancelFromTheRunPage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		run := w.queuedRun(t, w.envA2, "cancel-me")
		operator := w.as(t, "operator")
		expect(t, operator.get(t, opPath(w.wsA, run.ID)), http.StatusOK, en("console.action.reconcile_now"),
			`formaction="`+opPath(w.wsA, run.ID)+`/cancel" class="button">`+en("console.action.cancel_run"))
		lacks(t, w.as(t, "readonly").get(t, opPath(w.wsA, run.ID)), en("console.action.cancel_run"))

		expect(t, w.as(t, "readonly").act(t, w.wsA, run.ID, "cancel", nil), http.StatusForbidden)
		expect(t, w.as(t, "restricted").act(t, w.wsA, run.ID, "cancel", nil), http.StatusNotFound)
		expect(t, w.as(t, "outsider").act(t, w.wsA, run.ID, "cancel", nil), http.StatusNotFound)

		p := operator.follow(t, operator.act(t, w.wsA, run.ID, "cancel", url.Values{"note": {"wrong tenant"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-success") || !strings.Contains(text, en("console.flash.cancelled")) {
			t.Fatalf("cancel: %s", text)
		}
		expect(t, p, http.StatusOK, en(reckon.ReasonCancelled))
		lacks(t, p, en("console.action.cancel_run"), `id="run-state" data-live`)
		if got := w.run(t, w.wsA.ID, run.ID); got.Outcome != reckon.OutcomeCancelled {
			t.Fatalf("outcome %s", got.Outcome)
		}
		w.tx(t, func(tx *store.Tx) error {
			jobs, err := tx.QueueJobs(context.Background(), string(reckon.RunTypeReviewCompose))
			for _, j := range jobs {
				if j.ID == run.JobID && j.State != "cancelled" {
					t.Errorf("job %d is %s", j.ID, j.State)
				}
			}
			return err
		})
		p = operator.follow(t, operator.act(t, w.wsA, run.ID, "cancel", nil))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-info") || !strings.Contains(text, en("console.flash.already_completed")) {
			t.Fatalf("second cancel: %s", text)
		}
		if got, want := w.audit(t, run.ID), []string{"run.completed " + userActor(w.users["operator"]) + " wrong tenant"}; !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
		// The timeline says who ended it and why.
		expect(t, p, http.StatusOK, en("console.timeline.completed", "who", w.users["operator"].Name), "wrong tenant")
	})
}

// Acknowledge: a failed run leaves the attention counts, once; the page
// names who acknowledged it and their note.
func TestAcknowledgeFromTheRunPage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		failed := w.failedRun(t, w.envA2, "ack-me")
		operator := w.as(t, "operator")
		expect(t, w.as(t, "readonly").act(t, w.wsA, failed.ID, "acknowledge", nil), http.StatusForbidden)
		expect(t, w.as(t, "restricted").act(t, w.wsA, failed.ID, "acknowledge", nil), http.StatusNotFound)
		expect(t, w.as(t, "outsider").act(t, w.wsB, failed.ID, "acknowledge", nil), http.StatusNotFound)

		p := operator.follow(t, operator.act(t, w.wsA, failed.ID, "acknowledge", url.Values{"note": {"tenant offboarded"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-success") || !strings.Contains(text, en("console.flash.acknowledged")) {
			t.Fatalf("acknowledge: %s", text)
		}
		expect(t, p, http.StatusOK, en("console.diag.acknowledged"), w.users["operator"].Name, "tenant offboarded",
			en("console.timeline.acknowledged", "who", w.users["operator"].Name))
		lacks(t, p, `>`+en("console.action.acknowledge")+`</button>`)
		w.tx(t, func(tx *store.Tx) error {
			a, err := tx.RunAttentionOf(context.Background(), scopeOf(w.envA2), tx.Now())
			if err == nil && a.Failed != 0 {
				t.Errorf("attention after acknowledging: %+v", a)
			}
			return err
		})
		p = operator.follow(t, operator.act(t, w.wsA, failed.ID, "acknowledge", nil))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.flash.acknowledged_already")) {
			t.Fatalf("second acknowledge: %s", text)
		}
		// A note longer than allowed is refused, and says so.
		p = operator.follow(t, operator.act(t, w.wsA, w.failedRun(t, w.envA2, "long").ID, "acknowledge",
			url.Values{"note": {strings.Repeat("x", 1001)}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("operator.note_too_long", "max", 1000)) {
			t.Fatalf("long note: %s", text)
		}
		want := []string{"run.completed job ", "run.acknowledged " + userActor(w.users["operator"]) + " tenant offboarded"}
		if got := w.audit(t, failed.ID); !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
	})
}

// Resolve: the blocked run's page shows the competing reviews side by side
// and, to managers, the one action that settles it; resolving keeps the
// chosen review, records the truth in a new run, and says so, once.
func TestResolveFromTheRunPage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		blocked := opPath(w.wsA, h.blocked.ID)
		manager := w.as(t, "manager")
		p := manager.get(t, blocked)
		expect(t, p, http.StatusOK, `id="resolve"`, en("console.competitors.heading"),
			`href="#resolve">`+en("console.action.resolve"),
			fmt.Sprintf(`<a href="%s">%s</a>`, reviewPath(w.wsA, h.review.ID), en("console.review.title", "id", h.review.ID)),
			fmt.Sprintf(`<a href="%s">%s</a>`, reviewPath(w.wsA, h.twin.ID), en("console.review.title", "id", h.twin.ID)),
			`<span class="badge badge-ok">`+en("review.status.published")+`</span>`,
			`<span class="badge badge-ok">`+en("review.status.ready")+`</span>`,
			en("console.competitors.score"), en("console.competitors.created_by"), w.users["operator"].Name,
			`<form method="post" action="`+blocked+`/resolve" class="resolve-form">`,
			fmt.Sprintf(`name="keep" value="%d"`, h.twin.ID), fmt.Sprintf(`name="keep" value="%d"`, h.review.ID),
			en("console.competitors.publish"))
		// Operators and readers see the reviews, not the form.
		for _, who := range []string{"operator", "readonly"} {
			p := w.as(t, who).get(t, blocked)
			expect(t, p, http.StatusOK, en("console.competitors.heading"), en("console.check.review_ambiguous"))
			lacks(t, p, `class="resolve-form"`, en("console.action.resolve"))
		}

		keep := url.Values{"keep": {fmt.Sprint(h.twin.ID)}, "publish": {"1"}, "note": {"the copy is right"}}
		expect(t, w.as(t, "operator").act(t, w.wsA, h.blocked.ID, "resolve", keep), http.StatusForbidden)
		expect(t, w.as(t, "readonly").act(t, w.wsA, h.blocked.ID, "resolve", keep), http.StatusForbidden)
		expect(t, w.as(t, "outsider").act(t, w.wsA, h.blocked.ID, "resolve", keep), http.StatusNotFound)
		expect(t, w.as(t, "outsider").act(t, w.wsB, h.blocked.ID, "resolve", keep), http.StatusNotFound)
		// Without a choice, or with a review that is no competitor: said.
		p = manager.follow(t, manager.act(t, w.wsA, h.blocked.ID, "resolve", url.Values{"note": {"x"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.flash.resolve_choose")) {
			t.Fatalf("no choice: %s", text)
		}
		p = manager.follow(t, manager.act(t, w.wsA, h.blocked.ID, "resolve", url.Values{"keep": {"999999"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-error") || !strings.Contains(text, "#999999") {
			t.Fatalf("no competitor: %s", text)
		}

		p = manager.follow(t, manager.act(t, w.wsA, h.blocked.ID, "resolve", keep))
		run := w.run(t, w.wsA.ID, h.blocked.ID)
		resolution := w.run(t, w.wsA.ID, run.Context.RetriedBy)
		text, href := flashOf(t, p)
		if !strings.Contains(text, "flash-success") || href != reviewPath(w.wsA, h.twin.ID) || !strings.Contains(text,
			en("console.flash.resolved", "review", fmt.Sprintf("#%d", h.twin.ID), "status", en("review.status.published"), "run", fmt.Sprintf("#%d", resolution.ID))) {
			t.Fatalf("resolve's message: %s (%s)", text, href)
		}
		if run.Outcome != reckon.OutcomeBlocked || resolution.Outcome != reckon.OutcomeSucceeded || resolution.Context.RetryOf != run.ID {
			t.Fatalf("lineage: %s → %s", run.Outcome, resolution.Outcome)
		}
		if v := w.reviewByID(t, h.review.ID); v.Status != reckon.ReviewArchived {
			t.Fatalf("the other review is %s", v.Status)
		}
		// The page says how it was resolved and leads to the kept review.
		expect(t, p, http.StatusOK, `id="resolved"`, `href="`+reviewPath(w.wsA, h.twin.ID)+`">`+en("console.action.view_kept_review"),
			en("console.competitors.kept"), en("console.timeline.resolved", "who", w.users["manager"].Name), "the copy is right",
			`">`+en("console.timeline.review_kept", "review", fmt.Sprintf("#%d", h.twin.ID))+`</a>`,
			`">`+en("console.timeline.recorded_by", "run", fmt.Sprintf("#%d", resolution.ID))+`</a>`,
			en("console.timeline.retried_by"))
		lacks(t, p, `class="resolve-form"`, en("console.check.review_ambiguous"))
		// The run that records it explains itself.
		expect(t, manager.get(t, opPath(w.wsA, resolution.ID)), http.StatusOK, en(review.ReasonAmbiguityResolved),
			en("console.timeline.reconciled", "who", w.users["manager"].Name, "source", en("console.source.operator")),
			en("console.diag.resolved_by"), w.users["manager"].Name,
			en("console.timeline.retry_of"), `href="`+blocked+`"`, `href="`+reviewPath(w.wsA, h.twin.ID)+`"`)

		p = manager.follow(t, manager.act(t, w.wsA, h.blocked.ID, "resolve", keep))
		if text, _ := flashOf(t, p); !strings.Contains(text, "flash-info") ||
			!strings.Contains(text, en("console.flash.resolved_already", "review", fmt.Sprintf("#%d", h.twin.ID))) {
			t.Fatalf("second resolve: %s", text)
		}
		want := []string{"run.completed user:1 ", "run.resolved " + userActor(w.users["manager"]) + " the copy is right"}
		if got := w.audit(t, h.blocked.ID); !slices.Equal(got, want) {
			t.Fatalf("audit %q, want %q", got, want)
		}
		// In German.
		manager.lang = "de"
		expect(t, manager.get(t, blocked), http.StatusOK, de("console.competitors.heading"), de("console.action.view_kept_review"),
			de("console.timeline.heading"))
	})
}

func (w *world) reviewByID(t *testing.T, id int64) *reckon.Review {
	t.Helper()
	var v *reckon.Review
	w.tx(t, func(tx *store.Tx) (err error) {
		v, err = tx.Review(context.Background(), w.wsA.ID, id)
		return err
	})
	return v
}

// The timeline: who created the run, its start, each attempt, how it ended;
// its records; the queue job linked to River UI for platform support only;
// times in the reader's zone with UTC on hover.
func TestRunTimeline(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		withQueueUI(t, w)
		h := w.history(t)
		run := w.run(t, w.wsA.ID, h.succeeded.ID)
		c := w.as(t, "readonly")
		browserZone(t, c, "Europe/Berlin")
		p := c.get(t, opPath(w.wsA, run.ID))
		snap := w.snapshotOf(t, run.Context.EvidenceSnapshotID)
		berlin := run.CreatedAt.In(mustZone(t, "Europe/Berlin")).Format("2006-01-02 15:04:05 MST")
		utc := run.CreatedAt.UTC().Format("2006-01-02 15:04:05") + " UTC"
		expect(t, p, http.StatusOK, en("console.timeline.heading"),
			en("console.timeline.created", "who", w.users["operator"].Name), en("console.timeline.started"),
			en("console.attempts.attempt_no_node", "n", 1),
			en("console.timeline.completed", "who", en("console.actor.job")), "<code>"+review.ReasonAvailable+"</code>",
			en("console.timeline.related"), `href="`+reviewPath(w.wsA, h.review.ID)+`"`,
			en("console.timeline.captured", "snapshot", fmt.Sprintf("#%d", snap.ID)),
			fmt.Sprintf("<span>#%d</span>", run.JobID),
			`<span class="absolute" title="`+utc+`">`+berlin+`</span>`)
		sectionOrder(t, p)
		lacks(t, p, "/system/queue/jobs/")
		// Its order: created, started, the attempt, the end.
		order := []string{en("console.timeline.created", "who", w.users["operator"].Name), en("console.timeline.started"),
			en("console.attempts.attempt_no_node", "n", 1), en("console.timeline.completed", "who", en("console.actor.job"))}
		at := -1
		for _, s := range order {
			i := strings.Index(p.body, s)
			if i < at {
				t.Fatalf("%q comes before what happened earlier", s)
			}
			at = i
		}
		// The reconciler's settlement, on the stale run; an active run's
		// deadline.
		expect(t, c.get(t, opPath(w.wsA, h.stale.ID)), http.StatusOK,
			en("console.timeline.reconciled", "who", en("console.actor.reconciler"), "source", en("console.source.adapter")))
		expect(t, w.as(t, "readonly").get(t, opPath(w.wsA, h.queued.ID)), http.StatusOK, en("console.timeline.deadline"))
		// Platform support gets the queue's page of the job.
		support := w.as(t, "support")
		job := fmt.Sprintf("/system/queue/jobs/%d", run.JobID)
		expect(t, support.get(t, fmt.Sprintf("/system/ops/runs/%d", run.ID)), http.StatusOK, en("console.timeline.heading"),
			`href="`+job+`"`)
		if res := support.get(t, job); res.status != http.StatusOK {
			t.Fatalf("River UI's job page: %d", res.status)
		}
		expect(t, c.get(t, job), http.StatusNotFound)
		// In German.
		c.lang = "de"
		expect(t, c.get(t, opPath(w.wsA, run.ID)), http.StatusOK, de("console.timeline.heading"),
			de("console.timeline.created", "who", w.users["operator"].Name), de("console.timeline.completed", "who", de("console.actor.job")))
	})
}

func (w *world) snapshotOf(t *testing.T, id int64) *reckon.Snapshot {
	t.Helper()
	var s *reckon.Snapshot
	w.tx(t, func(tx *store.Tx) (err error) {
		s, err = tx.Snapshot(context.Background(), w.wsA.ID, id)
		return err
	})
	return s
}

// Bulk: with a filter, the list offers to act on every run it matches — not
// the page; the confirmation counts them all; the answer counts matched,
// changed and skipped; again, nothing changes. A large set becomes a bulk
// run whose page shows its progress.
func TestBulkFromTheOperationsList(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		const n = 30 // more than a page of the list
		w.tx(t, func(tx *store.Tx) error {
			now := tx.Now()
			return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scopeOf(w.envA2), Type: reckon.RunTypeReviewCompose,
				Status: reckon.RunCompleted, Outcome: reckon.OutcomeFailed, Count: n, KeyPrefix: "bulk:", CreatedAt: now, DeadlineAt: now})
		})
		list := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		filter := url.Values{"outcome": {"failed"}, "environment": {fmt.Sprint(w.envA2.ID)}}
		operator := w.as(t, "operator")

		// No filter, no bulk form; readers get none either.
		lacks(t, operator.get(t, list), `class="bulk-form"`)
		lacks(t, w.as(t, "readonly").get(t, list+"?"+filter.Encode()), `class="bulk-form"`)
		p := operator.get(t, list+"?"+filter.Encode())
		expect(t, p, http.StatusOK, `<form method="get" action="`+list+`/bulk" class="bulk-form">`,
			`<input type="hidden" name="outcome" value="failed">`, `<option value="acknowledge">`+en("console.bulk.action.acknowledge"))
		if rows := rowIDs(p); len(rows) != 25 {
			t.Fatalf("the page shows %d runs", len(rows))
		}

		confirm := list + "/bulk?" + filter.Encode() + "&action=acknowledge"
		expect(t, w.as(t, "readonly").get(t, confirm), http.StatusForbidden)
		expect(t, w.as(t, "outsider").get(t, confirm), http.StatusNotFound)
		// A member limited to another environment acts on none of them.
		restricted := w.as(t, "restricted")
		p = restricted.follow(t, restricted.post(t, list+"/bulk?"+filter.Encode(), url.Values{"action": {"acknowledge"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.flash.bulk_done", "action", en("console.bulk.action.acknowledge"),
			"matched", 0, "changed", 0, "skipped", 0)) {
			t.Fatalf("restricted bulk: %s", text)
		}
		p = operator.get(t, confirm)
		expect(t, p, http.StatusOK, en("console.bulk.confirm.acknowledge.other", "n", n), en("console.filter.outcome")+": "+en("console.outcome.failed"),
			`<form method="post" action="`+list+`/bulk?`+strings.ReplaceAll(filter.Encode(), "&", "&amp;")+`"`, `name="action" value="acknowledge"`)
		lacks(t, p, en("console.bulk.large", "limit", 100))

		// Act: every run the filter matches, each audited once.
		p = operator.follow(t, operator.post(t, list+"/bulk?"+filter.Encode(), url.Values{"action": {"acknowledge"}, "note": {"known outage"}}))
		text, _ := flashOf(t, p)
		if !strings.Contains(text, en("console.flash.bulk_done", "action", en("console.bulk.action.acknowledge"), "matched", n, "changed", n, "skipped", 0)) {
			t.Fatalf("bulk: %s", text)
		}
		runs := w.runsOf(t, w.envA2)
		for _, r := range runs {
			if got := w.audit(t, r.ID); !slices.Equal(got, []string{"run.acknowledged " + userActor(w.users["operator"]) + " known outage"}) {
				t.Fatalf("run %d audit %q", r.ID, got)
			}
		}
		// Again: all skipped.
		p = operator.follow(t, operator.post(t, list+"/bulk?"+filter.Encode(), url.Values{"action": {"acknowledge"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.flash.bulk_done", "action", en("console.bulk.action.acknowledge"), "matched", n, "changed", 0, "skipped", n)) {
			t.Fatalf("bulk again: %s", text)
		}
		// Without a filter it refuses, and says so.
		p = operator.follow(t, operator.post(t, list+"/bulk", url.Values{"action": {"acknowledge"}}))
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.bulk.no_filter")) {
			t.Fatalf("no filter: %s", text)
		}

		// A large set: a bulk run, its page with the progress.
		w.tx(t, func(tx *store.Tx) error {
			now := tx.Now()
			return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scopeOf(w.envA2), Type: reckon.RunTypeRestoreExecute,
				Status: reckon.RunCompleted, Outcome: reckon.OutcomeFailed, Count: 101, KeyPrefix: "large:", CreatedAt: now, DeadlineAt: now})
		})
		filter.Set("type", string(reckon.RunTypeRestoreExecute))
		expect(t, operator.get(t, list+"/bulk?"+filter.Encode()+"&action=acknowledge"), http.StatusOK,
			en("console.bulk.confirm.acknowledge.other", "n", 101), en("console.bulk.large", "limit", 100))
		res := operator.post(t, list+"/bulk?"+filter.Encode(), url.Values{"action": {"acknowledge"}})
		bulkPage := res.header.Get("Location")
		var bulkID int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(bulkPage, list+"/"), "%d", &bulkID); err != nil || bulkPage != opPath(w.wsA, bulkID) {
			t.Fatalf("the large bulk went to %q", bulkPage)
		}
		p = operator.follow(t, res)
		if text, _ := flashOf(t, p); !strings.Contains(text, en("console.flash.bulk_started", "action", en("console.bulk.action.acknowledge"), "run", fmt.Sprintf("#%d", bulkID))) {
			t.Fatalf("large bulk: %s", text)
		}
		expect(t, p, http.StatusOK, en("console.diag.bulk_action"), `id="run-state" data-live`)
		if err := w.ops.WorkBulk(ctx, bulkID); err != nil {
			t.Fatal(err)
		}
		expect(t, operator.get(t, bulkPage), http.StatusOK, en("console.diag.bulk_progress_text", "done", 101, "matched", 101, "changed", 101, "skipped", 0),
			en("console.outcome.succeeded"))
	})
}

func (w *world) runsOf(t *testing.T, env *reckon.Environment) []*reckon.Run {
	t.Helper()
	var runs []*reckon.Run
	w.tx(t, func(tx *store.Tx) (err error) {
		runs, err = tx.ListRuns(context.Background(), &store.RunFilter{WorkspaceID: w.wsA.ID, EnvironmentID: env.ID, Limit: 1000})
		return err
	})
	return runs
}
