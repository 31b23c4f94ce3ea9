package reconcile_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
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

// Environment of the worker process: this test binary run again, with the
// wiring of `reckon worker` and the compose delay set as an option.
const (
	workerDatabaseEnv = "RECKON_CRASH_WORKER_DATABASE"
	workerDeadlineEnv = "RECKON_CRASH_WORKER_RUNNING_DEADLINE"
	workerDelayEnv    = "RECKON_CRASH_WORKER_COMPOSE_DELAY"
)

func TestMain(m *testing.M) {
	if dbURL := os.Getenv(workerDatabaseEnv); dbURL != "" {
		os.Exit(workerProcess(dbURL))
	}
	os.Exit(m.Run())
}

// workerProcess works jobs as `reckon worker` does until SIGTERM.
func workerProcess(dbURL string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	deadline, _ := time.ParseDuration(os.Getenv(workerDeadlineEnv))
	delay, _ := time.ParseDuration(os.Getenv(workerDelayEnv))
	db, err := store.Open(ctx, dbURL, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	a, err := app.New(db, &app.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Deadlines: catalog.Overrides{RunningDeadline: deadline}, Work: true, MaxWorkers: 10, SweepEvery: time.Hour, ComposeDelay: delay})
	if err == nil {
		err = a.Work(ctx, 30*time.Second)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startWorker starts a worker as a separate process.
func startWorker(t *testing.T, dbURL string, runningDeadline time.Duration, composeDelay time.Duration) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerDatabaseEnv+"="+dbURL, workerDeadlineEnv+"="+runningDeadline.String(),
		workerDelayEnv+"="+composeDelay.String())
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
	db, err := queue.OpenMigrated(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// This process only inserts jobs and reconciles; the worker process
	// works them.
	a, err := app.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	reviews, rec := a.Reviews, a.Reconciler

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
	worker, out := startWorker(t, dbURL, runningDeadline, time.Minute)
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
	worker, out = startWorker(t, dbURL, runningDeadline, 0)
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
