package restore_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/store"
)

type testBundle struct {
	db      *store.DB
	clock   *reckontest.Clock
	fx      *reckontest.Fixture
	cat     *catalog.Catalog
	workers *river.Workers
	queue   *queue.Queue
	svc     *restore.Service
}

// eachEngine runs fn per engine on a fresh database whose clock the test
// can move.
func eachEngine(t *testing.T, fn func(t *testing.T, b *testBundle)) {
	t.Helper()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			clock := reckontest.EpochClock()
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			fn(t, setup(t, db, clock))
		})
	}
}

func setup(t *testing.T, db *store.DB, clock *reckontest.Clock) *testBundle {
	t.Helper()
	workers := river.NewWorkers()
	q, err := queue.New(db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	svc := restore.NewService(db, ledger.New(cat, q), nil)
	restore.Register(cat, workers, svc)
	return &testBundle{db: db, clock: clock, fx: reckontest.NewFixture(t, db), cat: cat, workers: workers, queue: q, svc: svc}
}

func items(payloads ...string) []restore.Item {
	out := make([]restore.Item, len(payloads))
	for i, p := range payloads {
		out[i] = restore.Item{Key: "item-" + string(rune('a'+i)), Payload: json.RawMessage(p)}
	}
	return out
}

const (
	valid     = `{"kind": "policy", "settings": {"mfa": true}}`
	noKind    = `{"settings": {}}`
	notObject = `"just text"`
)

func (b *testBundle) start(t *testing.T, scope reckon.Scope, ref string, its []restore.Item) *restore.Started {
	t.Helper()
	st, err := b.svc.Start(context.Background(), scope, ref, its, 0)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return st
}

func (b *testBundle) run(t *testing.T, workspaceID, id int64) *reckon.Run {
	t.Helper()
	return reckontest.Run(t, b.db, workspaceID, id)
}

func (b *testBundle) restoreRow(t *testing.T, workspaceID, id int64) (*reckon.RestoreRun, []*reckon.RestoreItem) {
	t.Helper()
	var rr *reckon.RestoreRun
	var its []*reckon.RestoreItem
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		if rr, err = tx.Restore(context.Background(), workspaceID, id); err != nil {
			return err
		}
		its, err = tx.RestoreItems(context.Background(), id, false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rr, its
}

func (b *testBundle) auditCount(t *testing.T, runID int64) int {
	t.Helper()
	return len(reckontest.Audits(t, b.db, runID))
}

func TestStartCreatesRestoreAndRunOnceForTheSameRequest(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		first := b.start(t, scope, "backup-2026-11-27", items(valid, noKind))
		if !first.Created || first.Run.Status != reckon.RunQueued || first.Run.JobID == 0 {
			t.Fatalf("first start: created=%v run=%+v", first.Created, first.Run)
		}
		if first.Restore.OperationRunID != first.Run.ID || first.Restore.ItemsTotal != 2 ||
			first.Restore.Status != reckon.RestorePending || first.Run.Context.BackupRef != "backup-2026-11-27" {
			t.Fatalf("restore %+v for run %+v", first.Restore, first.Run)
		}
		// The same items in another order are the same operation.
		again := b.start(t, scope, "backup-2026-11-27", []restore.Item{items(valid, noKind)[1], items(valid, noKind)[0]})
		if again.Created || again.Run.ID != first.Run.ID || again.Restore.ID != first.Restore.ID {
			t.Fatalf("repeated start created run %d / restore %d, want %d / %d", again.Run.ID, again.Restore.ID, first.Run.ID, first.Restore.ID)
		}
		other := b.start(t, scope, "backup-2026-11-28", items(valid, noKind))
		if !other.Created || other.Run.ID == first.Run.ID {
			t.Fatalf("another backup did not get its own run: %+v", other.Run)
		}
	})
}

func TestStartRejectsInvalidRequestsAndForeignEnvironments(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		cases := map[string]struct {
			ref   string
			items []restore.Item
			field string
		}{
			"no backup":     {"", items(valid), "backup_ref"},
			"no items":      {"b", nil, "items"},
			"empty key":     {"b", []restore.Item{{Key: " ", Payload: json.RawMessage(valid)}}, "items[0].key"},
			"duplicate key": {"b", []restore.Item{{Key: "k", Payload: json.RawMessage(valid)}, {Key: "k"}}, "items[1].key"},
			"bad json":      {"b", []restore.Item{{Key: "k", Payload: json.RawMessage(`{`)}}, "items[0].payload"},
		}
		for name, c := range cases {
			_, err := b.svc.Start(context.Background(), scope, c.ref, c.items, 0)
			var coded *reckon.Error
			if !errors.As(err, &coded) || coded.Code != reckon.CodeValidation || coded.Fields[c.field].Key == "" {
				t.Errorf("%s: got %v, want a validation error on %s", name, err, c.field)
			}
		}
		// An environment of another workspace does not exist for this one.
		foreign := b.fx.Scope()
		_, err := b.svc.Start(context.Background(), reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: foreign.EnvironmentID}, "b", items(valid), 0)
		if reckon.ErrorCodeOf(err) != reckon.CodeNotFound {
			t.Fatalf("foreign environment: got %v, want not_found", err)
		}
	})
}

func TestExecuteOutcomeFromItemCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		payloads  []string
		outcome   reckon.Outcome
		status    reckon.RestoreStatus
		reason    string
		succeeded int
	}{
		{"all applied", []string{valid, valid}, reckon.OutcomeSucceeded, reckon.RestoreSucceeded, "", 2},
		{"some failed", []string{valid, noKind, notObject}, reckon.OutcomePartiallySucceeded, reckon.RestorePartiallySucceeded, restore.ReasonPartial, 1},
		{"none applied", []string{noKind, `null`}, reckon.OutcomeFailed, reckon.RestoreFailed, restore.ReasonFailed, 0},
	}
	eachEngine(t, func(t *testing.T, b *testBundle) {
		for _, c := range cases {
			scope := b.fx.Scope()
			st := b.start(t, scope, "backup-"+c.name, items(c.payloads...))
			if err := b.svc.Execute(context.Background(), st.Run.ID); err != nil {
				t.Fatalf("%s: execute: %v", c.name, err)
			}
			run := b.run(t, scope.WorkspaceID, st.Run.ID)
			if run.Status != reckon.RunCompleted || run.Outcome != c.outcome {
				t.Fatalf("%s: run %s/%s, want completed/%s", c.name, run.Status, run.Outcome, c.outcome)
			}
			if (c.reason == "") != (run.Failure == nil) || (run.Failure != nil && run.Failure.ReasonCode != c.reason) {
				t.Fatalf("%s: failure %+v, want reason %q", c.name, run.Failure, c.reason)
			}
			var sum map[string]int
			if err := json.Unmarshal(run.Summary, &sum); err != nil || sum["items_total"] != len(c.payloads) ||
				sum["items_succeeded"] != c.succeeded || sum["items_failed"] != len(c.payloads)-c.succeeded {
				t.Fatalf("%s: summary %s", c.name, run.Summary)
			}
			rr, its := b.restoreRow(t, scope.WorkspaceID, st.Restore.ID)
			if rr.Status != c.status || rr.ItemsSucceeded != c.succeeded || rr.ItemsFailed != len(c.payloads)-c.succeeded || rr.CompletedAt == nil {
				t.Fatalf("%s: restore %+v", c.name, rr)
			}
			for i, it := range its {
				switch c.payloads[i] {
				case valid:
					if it.Status != reckon.RestoreItemApplied || it.AppliedAt == nil || it.ErrorCode != "" {
						t.Fatalf("%s: item %s %+v, want applied", c.name, it.Key, it)
					}
				case noKind:
					if it.Status != reckon.RestoreItemFailed || it.ErrorCode != restore.ItemMissingKind {
						t.Fatalf("%s: item %s %+v, want failed %s", c.name, it.Key, it, restore.ItemMissingKind)
					}
				default:
					if it.Status != reckon.RestoreItemFailed || it.ErrorCode != restore.ItemInvalidPayload {
						t.Fatalf("%s: item %s %+v, want failed %s", c.name, it.Key, it, restore.ItemInvalidPayload)
					}
				}
			}
			// A redelivered job changes nothing and records nothing.
			if err := b.svc.Execute(context.Background(), st.Run.ID); err != nil {
				t.Fatalf("%s: second execute: %v", c.name, err)
			}
			if again := b.run(t, scope.WorkspaceID, st.Run.ID); again.Outcome != c.outcome || !again.UpdatedAt.Equal(run.UpdatedAt) {
				t.Fatalf("%s: second delivery changed the run: %+v", c.name, again)
			}
			if n := b.auditCount(t, st.Run.ID); n != 1 {
				t.Fatalf("%s: %d audit events, want 1", c.name, n)
			}
		}
	})
}

// failingProvider fails with an infrastructure error after n items.
type failingProvider struct{ left int }

func (p *failingProvider) Apply(ctx context.Context, scope reckon.Scope, item *reckon.RestoreItem) error {
	if p.left == 0 {
		return errors.New("provider unavailable")
	}
	p.left--
	return restore.Local{}.Apply(ctx, scope, item)
}

func TestExecuteResumesAfterAnInterruptedAttempt(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		st := b.start(t, scope, "backup", items(valid, noKind, valid))
		flaky := restore.NewService(b.db, ledger.New(b.cat, b.queue), &restore.Options{Provider: &failingProvider{left: 2}})
		if err := flaky.Execute(context.Background(), st.Run.ID); err == nil {
			t.Fatal("an unavailable provider must fail the attempt")
		}
		if run := b.run(t, scope.WorkspaceID, st.Run.ID); run.Status != reckon.RunRunning {
			t.Fatalf("run after a failed attempt: %s, want running", run.Status)
		}
		if err := b.svc.Execute(context.Background(), st.Run.ID); err != nil {
			t.Fatal(err)
		}
		rr, _ := b.restoreRow(t, scope.WorkspaceID, st.Restore.ID)
		run := b.run(t, scope.WorkspaceID, st.Run.ID)
		if rr.ItemsSucceeded != 2 || rr.ItemsFailed != 1 || run.Outcome != reckon.OutcomePartiallySucceeded || run.Attempts != 2 {
			t.Fatalf("after resuming: restore %+v, run %s attempts %d", rr, run.Outcome, run.Attempts)
		}
	})
}

func TestExecuteLeavesARunPastItsDeadlineToTheReconciler(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		scope := b.fx.Scope()
		st := b.start(t, scope, "backup", items(valid))
		b.clock.Advance(b.cat.MustLookup(reckon.RunTypeRestoreExecute).QueuedDeadline + time.Second)
		if err := b.svc.Execute(context.Background(), st.Run.ID); err != nil {
			t.Fatal(err)
		}
		run := b.run(t, scope.WorkspaceID, st.Run.ID)
		rr, _ := b.restoreRow(t, scope.WorkspaceID, st.Restore.ID)
		if run.Status != reckon.RunQueued || rr.Status != reckon.RestorePending {
			t.Fatalf("a late job acted: run %s, restore %s", run.Status, rr.Status)
		}
	})
}

func TestRestoreJobRunsOnTheQueue(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, b *testBundle) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := b.queue.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			_ = b.queue.Stop(stopCtx)
		}()
		scope := b.fx.Scope()
		st := b.start(t, scope, "backup", items(valid, notObject))
		deadline := time.Now().Add(20 * time.Second)
		for {
			run := b.run(t, scope.WorkspaceID, st.Run.ID)
			if run.Status == reckon.RunCompleted {
				if run.Outcome != reckon.OutcomePartiallySucceeded {
					t.Fatalf("outcome %s, want partially_succeeded", run.Outcome)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the restore job did not complete the run: %+v", run)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
