// Package demo is the scripted tour behind `reckon demo`: on a temporary
// SQLite database it shows, step by step and with run ids, how reckon
// deduplicates repeated triggers, settles a stuck run from review truth,
// recovers a fingerprint collision, blocks an ambiguous case for an operator
// and records a restore with a partial outcome.
//
// The tour works each queue job itself, in order, instead of starting
// workers, so that every step is visible and the output is the same on every
// run. The jobs, services, adapters and reconciler are the real ones.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Options configure the tour.
type Options struct {
	// Dir holds the temporary database; a new temporary directory, removed
	// at the end, when empty.
	Dir string
}

// tour is the wiring of one tour and its output.
type tour struct {
	w     io.Writer
	clock *reckon.ManualClock
	*app.App
	scope reckon.Scope
	// firstRunID is the compose run of step 1, which step 2 crashes.
	firstRunID int64
	err        error
}

// errCrash stands for a worker process dying mid-job.
var errCrash = errors.New("the worker process died")

// Run plays the tour and writes it to w.
func Run(ctx context.Context, w io.Writer, opts *Options) (err error) {
	if opts == nil {
		opts = &Options{}
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "reckon-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	t, err := setup(ctx, w, filepath.Join(dir, "demo.db"))
	if err != nil {
		return err
	}
	defer t.DB.Close()
	for _, step := range []func(context.Context){t.deduplicate, t.crash, t.collision, t.ambiguous, t.restore, t.nothingLeft} {
		step(ctx)
		if t.err != nil {
			return t.err
		}
	}
	return nil
}

func setup(ctx context.Context, w io.Writer, path string) (*tour, error) {
	c := reckon.NewManualClock(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	db, err := queue.OpenMigrated(ctx, "sqlite:"+path, &store.Options{Clock: c.Now})
	if err != nil {
		return nil, err
	}
	t := &tour{w: w, clock: c}
	if err := t.wire(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return t, nil
}

func (t *tour) wire(ctx context.Context, db *store.DB) error {
	// The queue is never started: the tour works each job itself.
	a, err := app.New(db, &app.Options{Work: true})
	if err != nil {
		return err
	}
	t.App = a

	err = t.DB.InTx(ctx, func(tx *store.Tx) error {
		ws, err := tx.CreateWorkspace(ctx, "northwind", "Northwind Managed Services")
		if err != nil {
			return err
		}
		env, err := tx.CreateEnvironment(ctx, ws.ID, "contoso-prod", "Contoso production tenant", "")
		if err != nil {
			return err
		}
		t.scope = reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: env.ID}
		return nil
	})
	if err != nil {
		return err
	}
	snap, _, err := evidence.NewService(t.DB).Import(ctx, t.scope, reckon.SnapshotInput{
		CapturedAt: t.clock.Now().Add(-2 * time.Hour),
		Findings: []reckon.Finding{
			{ControlID: "AAD.1", Title: "Phishing-resistant MFA for administrators", Severity: reckon.SeverityCritical, Status: reckon.FindingFail},
			{ControlID: "AAD.2", Title: "Legacy authentication blocked", Severity: reckon.SeverityHigh, Status: reckon.FindingPass},
			{ControlID: "EXO.1", Title: "Automatic forwarding to external domains disabled", Severity: reckon.SeverityHigh, Status: reckon.FindingFail},
			{ControlID: "TEAMS.1", Title: "External access restricted", Severity: reckon.SeverityMedium, Status: reckon.FindingPass},
		},
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
	})
	if err != nil {
		return err
	}
	t.say("reckon demo — a guided tour on a temporary SQLite database\n")
	t.say("Workspace northwind (id %d), environment contoso-prod (id %d), evidence snapshot %d with %d findings.",
		t.scope.WorkspaceID, t.scope.EnvironmentID, snap.ID, len(snap.Findings))
	t.say("The clock starts at %s and moves only when the tour says so; run types keep their shipped deadlines (compose: 15 min queued, 30 min running).", t.clock.Now().Format("Mon 15:04 UTC"))
	return nil
}

// say prints one line of the tour.
func (t *tour) say(format string, args ...any) { fmt.Fprintf(t.w, format+"\n", args...) }

func (t *tour) step(n int, title string) {
	t.say("\n%d. %s\n%s", n, title, strings.Repeat("─", len(title)+3))
}

// fail records the first error; later steps are skipped.
func (t *tour) fail(err error) bool {
	if err != nil && t.err == nil {
		t.err = err
	}
	return t.err != nil
}

func (t *tour) compose(ctx context.Context) *review.ComposeResult {
	res, err := t.Reviews.Compose(ctx, t.scope, 0)
	t.fail(err)
	return res
}

func (t *tour) run(ctx context.Context, id int64) *reckon.Run {
	var run *reckon.Run
	t.fail(t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		run, err = tx.Run(ctx, t.scope.WorkspaceID, id)
		return err
	}))
	return run
}

func (t *tour) reviewList(ctx context.Context) []*reckon.Review {
	var list []*reckon.Review
	t.fail(t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		list, err = tx.Reviews(ctx, t.scope.WorkspaceID, store.ReviewFilter{EnvironmentID: t.scope.EnvironmentID, Limit: 20})
		return err
	}))
	return list
}

// describe is one line about a run: status, outcome, reason and who decided.
func describe(run *reckon.Run) string {
	if run.Status != reckon.RunCompleted {
		return fmt.Sprintf("run %d: %s, deadline %s", run.ID, run.Status, run.DeadlineAt.Format("15:04 UTC"))
	}
	s := fmt.Sprintf("run %d: completed / %s", run.ID, run.Outcome)
	if rc := run.Context.Reconciliation; rc != nil {
		s += fmt.Sprintf(" — %s (decided by %s", rc.ReasonCode, rc.Source)
		if rc.Adapter != "" {
			s += ", adapter " + rc.Adapter
		}
		s += ")"
	} else if run.Failure != nil {
		s += " — " + run.Failure.ReasonCode
	}
	return s
}

// sentence is the decision sentence an operator reads for a reason code.
func sentence(code string) string {
	s, _ := locale.Default().Reason("en", code)
	return s
}

func (t *tour) explain(run *reckon.Run) {
	if rc := run.Context.Reconciliation; rc != nil {
		if s := sentence(rc.ReasonCode); s != "" {
			t.say("   the operator reads: “%s”", s)
		}
	}
}

func (t *tour) sweep(ctx context.Context) {
	res, err := t.Reconciler.Sweep(ctx)
	if t.fail(err) {
		return
	}
	t.say("   reconciler sweep at %s: examined %d, settled %d, unchanged %d",
		t.clock.Now().Format("Mon 15:04"), res.Examined, res.Settled, res.Unchanged)
}

func (t *tour) deduplicate(ctx context.Context) {
	t.step(1, "Repeated triggers are deduplicated")
	t.say("   Three people press “Compose review” for contoso-prod at once:")
	var runID int64
	for i := 1; i <= 3 && t.err == nil; i++ {
		res := t.compose(ctx)
		if res == nil {
			return
		}
		runID = res.Run.ID
		t.say("   trigger %d → %-15s run %d", i, res.Result, res.Run.ID)
	}
	t.firstRunID = runID
	t.say("   → one operation: run %d, one queued job. The partial unique index on the run identity decides races.", runID)
}

func (t *tour) crash(ctx context.Context) {
	t.step(2, "A worker dies mid-composition; the reconciler settles the stuck run from review truth")
	run := t.run(ctx, t.firstRunID)
	if t.err != nil {
		return
	}
	dying := review.NewWorker(t.Reviews, &review.WorkerOptions{Hook: func(step string) error {
		if step == review.StepDraft {
			return errCrash
		}
		return nil
	}})
	if err := app.WorkCompose(ctx, dying, run.ID); !errors.Is(err, errCrash) {
		t.fail(fmt.Errorf("demo: the crashing worker returned %v", err))
		return
	}
	list := t.reviewList(ctx)
	if len(list) != 1 {
		t.fail(fmt.Errorf("demo: %d reviews after the crash, want 1", len(list)))
		return
	}
	t.say("   The compose job of run %d marks it running and writes draft review %d, then its process dies.", run.ID, list[0].ID)
	run = t.run(ctx, run.ID)
	t.say("   %s", describe(run))
	t.clock.Advance(5 * time.Minute)
	t.sweep(ctx)
	t.say("   → within its deadline the draft proves nothing yet: the run is left alone.")
	t.clock.Advance(run.DeadlineAt.Sub(t.clock.Now()) + time.Minute)
	t.say("   … the running deadline passes.")
	t.sweep(ctx)
	run = t.run(ctx, run.ID)
	if t.err != nil {
		return
	}
	t.say("   %s", describe(run))
	ev := run.Context.Reconciliation.Evidence
	t.say("   evidence: review %d (%s), considered reviews %v, fingerprint %s…", ev.ReviewID, ev.ReviewStatus, ev.ConsideredReviewIDs, ev.Fingerprint[:19])
	t.explain(run)
}

func (t *tour) collision(ctx context.Context) {
	t.step(3, "A fingerprint collision is recovered")
	res := t.compose(ctx)
	if t.err != nil {
		return
	}
	t.say("   compose again → %s, run %d (same inputs, same fingerprint as the failed run)", res.Result, res.Run.ID)
	t.say("   Its job tries to insert a draft; the one-mutable-review-per-fingerprint index holds the orphaned draft.")
	if t.fail(app.WorkCompose(ctx, t.Composer, res.Run.ID)) {
		return
	}
	run := t.run(ctx, res.Run.ID)
	list := t.reviewList(ctx)
	if t.err != nil {
		return
	}
	t.say("   %s", describe(run))
	t.say("   → the draft's owner had finished, so the job took the draft over: review %d is %s and linked to run %d; still one review.",
		list[0].ID, list[0].Status, list[0].OperationRunID)
	again := t.compose(ctx)
	if t.err != nil {
		return
	}
	t.say("   compose once more → %s, review %d (no new run)", again.Result, again.Review.ID)
}

func (t *tour) ambiguous(ctx context.Context) {
	t.step(4, "An ambiguous case is blocked for an operator")
	list := t.reviewList(ctx)
	if t.err != nil {
		return
	}
	first := list[0]
	if _, err := t.Reviews.Publish(ctx, t.scope.WorkspaceID, first.ID, 0); t.fail(err) {
		return
	}
	// A second current review of the same inputs, as a migration from an
	// older system might leave behind.
	var second *reckon.Review
	err := t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		second, err = tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: t.scope,
			EvidenceSnapshotID: first.EvidenceSnapshotID, Fingerprint: first.Fingerprint})
		if err != nil {
			return err
		}
		now := tx.Now()
		second.Status, second.Content, second.ComposedAt = reckon.ReviewReady, json.RawMessage(`{"imported": true}`), &now
		return tx.UpdateReview(ctx, second)
	})
	if t.fail(err) {
		return
	}
	t.say("   Review %d is published. A migration imports review %d: ready, same fingerprint.", first.ID, second.ID)
	run, _, err := t.Ledger.Trigger(ctx, t.DB, &ledger.EnsureParams{Scope: t.scope, Type: reckon.RunTypeReviewCompose,
		Key: first.Fingerprint, Context: reckon.RunContext{Fingerprint: first.Fingerprint, EvidenceSnapshotID: first.EvidenceSnapshotID}})
	if t.fail(err) {
		return
	}
	t.say("   Run %d, queued for the same fingerprint by the migration, asks which review is its result.", run.ID)
	run, changed, err := t.Reconciler.ReconcileRun(ctx, t.scope.WorkspaceID, run.ID, "user:operator")
	if t.fail(err) {
		return
	}
	t.say("   operator presses “Reconcile now” → changed: %v", changed)
	t.say("   %s", describe(run))
	t.say("   evidence: considered reviews %v", run.Context.Reconciliation.Evidence.ConsideredReviewIDs)
	t.say("   → two current reviews claim the same inputs: reckon fails closed instead of picking one.")
	t.explain(run)
}

func (t *tour) restore(ctx context.Context) {
	t.step(5, "A restore with a partial outcome")
	items := []restore.Item{
		{Key: "conditional-access/mfa-admins", Payload: json.RawMessage(`{"kind": "conditional_access_policy", "state": "enabled"}`)},
		{Key: "exchange/forwarding", Payload: json.RawMessage(`{"kind": "transport_rule", "block_external_forwarding": true}`)},
		{Key: "teams/external-access", Payload: json.RawMessage(`{"allowed_domains": ["fabrikam.example"]}`)},
	}
	st, err := t.Restores.Start(ctx, t.scope, "backup-2026-11-27", items, 0)
	if t.fail(err) {
		return
	}
	t.say("   restore of backup-2026-11-27 with %d items → run %d, restore %d", len(items), st.Run.ID, st.Restore.ID)
	if t.fail(t.Restores.Execute(ctx, st.Run.ID)) {
		return
	}
	var rows []*reckon.RestoreItem
	t.fail(t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.RestoreItems(ctx, st.Restore.ID, false)
		return err
	}))
	if t.err != nil {
		return
	}
	t.say("   the restore.execute job applies each item through the local provider:")
	for _, it := range rows {
		line := fmt.Sprintf("     %-32s %s", it.Key, it.Status)
		if it.ErrorCode != "" {
			line += " — " + it.ErrorCode
		}
		t.say("%s", line)
	}
	run := t.run(ctx, st.Run.ID)
	if t.err != nil {
		return
	}
	t.say("   %s, summary %s", describe(run), run.Summary)
	var d reckon.Decision
	t.fail(t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		d, err = restore.Adapter{}.Reconcile(ctx, tx, run, tx.Now())
		return err
	}))
	t.say("   the restore adapter reads restore_runs and agrees: %s, %s", d.Outcome, d.ReasonCode)
	if s := sentence(restore.ReasonPartial); s != "" {
		t.say("   the operator reads: “%s”", s)
	}
}

func (t *tour) nothingLeft(ctx context.Context) {
	t.step(6, "Nothing is left behind")
	t.clock.Advance(24 * time.Hour)
	t.say("   A day later:")
	t.sweep(ctx)
	var active []store.ActiveRunCount
	var audits int64
	t.fail(t.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		if active, err = tx.CountActiveRuns(ctx); err != nil {
			return err
		}
		audits, err = tx.CountAuditEvents(ctx)
		return err
	}))
	if t.err != nil {
		return
	}
	t.say("   active runs: %d; audit events: %d (one per finished run, plus the review lifecycle).", len(active), audits)
	t.say("\nDone. The database was temporary; run `reckon serve --demo` to explore the console.")
}
