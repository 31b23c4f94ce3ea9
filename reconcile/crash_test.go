package reconcile_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// lockedBuffer collects a process's output for the failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startWorker starts `reckon worker` as a separate process.
func startWorker(t *testing.T, bin, dbURL string, runningDeadline time.Duration, composeDelay time.Duration) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "worker", "--database", dbURL, "--running-deadline", runningDeadline.String(),
		"--reconcile-interval", "1h")
	cmd.Env = append(os.Environ(), "RECKON_LOG_LEVEL=debug")
	if composeDelay > 0 {
		cmd.Env = append(cmd.Env, "RECKON_TEST_COMPOSE_DELAY="+composeDelay.String())
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, out
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, out *lockedBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; worker output:\n%s", what, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashedWorkerIsSettledAndItsDraftTakenOver kills a real worker process
// while a review is a draft, then shows that the reconciler settles the
// orphaned run from review truth and that the next compose takes the stale
// draft over and ends with one ready review.
func TestCrashedWorkerIsSettledAndItsDraftTakenOver(t *testing.T) {
	ctx := context.Background()
	dbURL := reckontest.URL(t, store.Postgres)
	bin := filepath.Join(t.TempDir(), "reckon")
	build := exec.Command("go", "build", "-o", bin, "github.com/reckonhq/reckon/cmd/reckon")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db, err := store.Open(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := queue.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	// This process only inserts jobs and reconciles; the worker process
	// works them.
	q, err := queue.New(db, &queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	cat.SetJob(reckon.RunTypeReviewCompose, func(id int64) river.JobArgs { return review.ComposeArgs{RunID: id} })
	cat.RegisterAdapter(review.Adapter{})
	l := ledger.New(cat, q)
	reviews := review.NewService(review.Deps{DB: db, Ledger: l, Catalog: cat})
	rec := reconcile.New(db, l, nil)

	scope := reckontest.NewFixture(t, db).Scope()
	if _, _, err := evidence.NewService(db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: time.Now().Add(-time.Hour).UTC(),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA for admins", Severity: reckon.SeverityCritical, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
	runOf := func(id int64) *reckon.Run {
		var run *reckon.Run
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { run, err = tx.Run(ctx, scope.WorkspaceID, id); return err }); err != nil {
			t.Fatal(err)
		}
		return run
	}
	reviewsOf := func() []*reckon.Review {
		var list []*reckon.Review
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			list, err = tx.Reviews(ctx, scope.WorkspaceID, store.ReviewFilter{EnvironmentID: scope.EnvironmentID, Limit: 10})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return list
	}

	// A worker whose composition is slowed down picks the run up, writes the
	// draft, and is killed while it waits.
	const runningDeadline = 8 * time.Second
	worker, out := startWorker(t, bin, dbURL, runningDeadline, time.Minute)
	first, err := reviews.Compose(ctx, scope, 0)
	if err != nil || first.Result != review.ResultQueued {
		t.Fatalf("compose: %+v, %v", first, err)
	}
	waitFor(t, "a draft of the first run", 60*time.Second, out, func() bool {
		list := reviewsOf()
		return len(list) == 1 && list[0].Status == reckon.ReviewDraft && list[0].OperationRunID == first.Run.ID
	})
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	draft := reviewsOf()[0]
	stuck := runOf(first.Run.ID)
	if stuck.Status != reckon.RunRunning {
		t.Fatalf("after the crash the run is %s, want running", stuck.Status)
	}

	// Before the deadline the reconciler has no proof and leaves the run.
	if res, err := rec.Sweep(ctx); err != nil || res.Settled != 0 {
		t.Fatalf("sweep within the deadline: %+v, %v", res, err)
	}
	time.Sleep(time.Until(stuck.DeadlineAt) + 100*time.Millisecond)
	if res, err := rec.Sweep(ctx); err != nil || res.Settled != 1 {
		t.Fatalf("sweep past the deadline: %+v, %v", res, err)
	}
	settled := runOf(first.Run.ID)
	rc := settled.Context.Reconciliation
	if settled.Outcome != reckon.OutcomeFailed || rc == nil || rc.Source != reckon.SourceAdapter ||
		rc.ReasonCode != review.ReasonComposeStalled || rc.Evidence.ReviewID != draft.ID || rc.Evidence.ReviewStatus != reckon.ReviewDraft {
		t.Fatalf("settled run: %s reconciliation %+v, want failed %s from draft %d", settled.Outcome, rc, review.ReasonComposeStalled, draft.ID)
	}

	// A new create, worked by a fresh worker, takes the stale draft over.
	worker, out = startWorker(t, bin, dbURL, runningDeadline, 0)
	second, err := reviews.Compose(ctx, scope, 0)
	if err != nil || second.Result != review.ResultQueued || second.Run.ID == first.Run.ID {
		t.Fatalf("second compose: %+v, %v", second, err)
	}
	waitFor(t, "the second run to complete", 60*time.Second, out, func() bool {
		return runOf(second.Run.ID).Status == reckon.RunCompleted
	})
	if err := worker.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := worker.Wait(); err != nil {
		t.Fatalf("worker did not stop cleanly: %v\n%s", err, out.String())
	}
	done := runOf(second.Run.ID)
	list := reviewsOf()
	if rc := done.Context.Reconciliation; rc == nil || rc.ReasonCode != review.ReasonTookOverStaleDraft {
		t.Fatalf("second run reconciliation %+v, want %s", rc, review.ReasonTookOverStaleDraft)
	}
	if done.Outcome != reckon.OutcomeSucceeded || len(list) != 1 || list[0].ID != draft.ID ||
		list[0].Status != reckon.ReviewReady || list[0].OperationRunID != second.Run.ID {
		t.Fatalf("after the take-over: run %s, reviews %+v; want one ready review %d linked to run %d", done.Outcome, list, draft.ID, second.Run.ID)
	}
	var audits []*store.AuditEvent
	var active []store.ActiveRunCount
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		if active, err = tx.CountActiveRuns(ctx); err != nil {
			return err
		}
		audits, err = tx.AuditEvents(ctx, second.Run.WorkspaceID, "operation_run", second.Run.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(active) != 0 || len(audits) != 1 {
		t.Fatalf("active runs %+v and %d audit events of the second run; want none and 1", active, len(audits))
	}
}
