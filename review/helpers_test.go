package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

type testBundle struct {
	db      *store.DB
	fx      *reckontest.Fixture
	cat     *catalog.Catalog
	workers *river.Workers
	queue   *queue.Queue
	ledger  *ledger.Ledger
	svc     *review.Service
	ev      *evidence.Service
	worker  *review.Worker
}

func setup(t *testing.T, db *store.DB, opts *review.WorkerOptions) *testBundle {
	t.Helper()
	b := &testBundle{db: db, fx: reckontest.NewFixture(t, db), cat: catalog.Default(), workers: river.NewWorkers()}
	q, err := queue.New(db, &queue.Config{Workers: b.workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b.queue = q
	b.ledger = ledger.New(b.cat, q)
	b.ev = evidence.NewService(db)
	b.svc = review.NewService(review.Deps{DB: db, Ledger: b.ledger, Catalog: b.cat})
	if opts == nil {
		opts = &review.WorkerOptions{}
	}
	if opts.SnoozeInterval == 0 {
		opts.SnoozeInterval = 50 * time.Millisecond
	}
	b.worker = review.Register(b.cat, b.workers, b.svc, opts)
	return b
}

// start works jobs until the test ends.
func (b *testBundle) start(t *testing.T) {
	t.Helper()
	if err := b.queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.queue.Stop(ctx)
	})
}

// deliver runs one delivery of a run's compose job with worker w.
func deliver(w *review.Worker, runID int64, attempt int) error {
	return w.Work(context.Background(), &river.Job[review.ComposeArgs]{
		JobRow: &rivertype.JobRow{ID: runID, Attempt: attempt, MaxAttempts: 25, Kind: review.ComposeArgs{}.Kind()},
		Args:   review.ComposeArgs{RunID: runID},
	})
}

func codedErr(t *testing.T, err error) *reckon.Error {
	t.Helper()
	var e *reckon.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a coded error, got %v", err)
	}
	return e
}

func (b *testBundle) importSnapshot(t *testing.T, scope reckon.Scope, capturedAt time.Time, findings []reckon.Finding) *reckon.Snapshot {
	t.Helper()
	snap, _, err := b.ev.Import(context.Background(), scope, reckon.SnapshotInput{
		CapturedAt: capturedAt, Findings: findings, Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
	if err != nil {
		t.Fatalf("import snapshot: %v", err)
	}
	return snap
}

func (b *testBundle) compose(t *testing.T, scope reckon.Scope) *review.ComposeResult {
	t.Helper()
	res, err := b.svc.Compose(context.Background(), scope, 0)
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	return res
}

func (b *testBundle) run(t *testing.T, workspaceID, id int64) *reckon.Run {
	t.Helper()
	return reckontest.Run(t, b.db, workspaceID, id)
}

// reviews returns every review of a scope, oldest first.
func (b *testBundle) reviews(t *testing.T, scope reckon.Scope) []*reckon.Review {
	t.Helper()
	list, _, err := b.svc.Reviews(context.Background(), scope.WorkspaceID,
		review.ReviewFilter{EnvironmentID: scope.EnvironmentID, Page: reckon.Page{Limit: reckon.MaxPageLimit}})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// waitRun waits until a run completes.
func (b *testBundle) waitRun(t *testing.T, workspaceID, id int64) *reckon.Run {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if run := b.run(t, workspaceID, id); run.Status == reckon.RunCompleted {
			return run
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %d did not complete", id)
	return nil
}

// ensureRun creates a compose run directly, with an identity of its own,
// for the review of snap (as the service would plan it).
func (b *testBundle) ensureRun(t *testing.T, scope reckon.Scope, snap *reckon.Snapshot, key string) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	err := b.db.InTx(context.Background(), func(tx *store.Tx) error {
		baseline, err := tx.BaselineSnapshotID(context.Background(), scope, snap.CapturedAt, snap.ID)
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		fp := review.Fingerprint(review.FingerprintInputs{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID,
			SnapshotID: snap.ID, SnapshotContentHash: snap.ContentHash, ComposerVersion: review.ComposerVersion,
			Options: review.Options{BaselineSnapshotID: baseline}})
		run, _, err = b.ledger.Ensure(context.Background(), tx, &ledger.EnsureParams{Scope: scope,
			Type: reckon.RunTypeReviewCompose, Key: fp + key,
			Context: reckon.RunContext{Fingerprint: fp, EvidenceSnapshotID: snap.ID, BaselineSnapshotID: baseline}})
		return err
	})
	if err != nil {
		t.Fatalf("ensure run: %v", err)
	}
	return run
}

// assertSafe fails when a run carries anything but safe identifiers and
// codes: no SQL, constraint or driver wording in any of its fields.
func assertSafe(t *testing.T, run *reckon.Run) {
	t.Helper()
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ToLower(string(b))
	for _, bad := range []string{"environment_reviews", "unique", "constraint", "sqlstate", "duplicate key",
		"insert ", "select ", "update ", "violat", "sqlite", "pgx", "23505", "index"} {
		if strings.Contains(text, bad) {
			t.Errorf("run %d carries %q: %s", run.ID, bad, b)
		}
	}
}

func reasonOf(run *reckon.Run) string {
	if run.Context.Reconciliation == nil {
		return ""
	}
	return run.Context.Reconciliation.ReasonCode
}

func describe(v *reckon.Review) string {
	return fmt.Sprintf("review %d %s run=%d by=%d", v.ID, v.Status, v.OperationRunID, v.SupersededByReviewID)
}
