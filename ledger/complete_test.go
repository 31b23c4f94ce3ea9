package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestCompleteRejectsInvalidTransitions(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		other := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:a")
		rec := func(mut func(r *reckon.Reconciliation)) *reckon.Reconciliation {
			r := &reckon.Reconciliation{Source: reckon.SourceAdapter, Adapter: string(reckon.RunTypeReviewCompose),
				Decision: reckon.OutcomeSucceeded, ReasonCode: "review.available"}
			mut(r)
			return r
		}
		cases := []struct {
			name string
			c    ledger.Completion
		}{
			{"pending outcome", ledger.Completion{Outcome: reckon.OutcomePending}},
			{"empty outcome", ledger.Completion{}},
			{"unknown outcome", ledger.Completion{Outcome: "done", ReasonCode: "x"}},
			{"failed without reason", ledger.Completion{Outcome: reckon.OutcomeFailed}},
			{"blocked without reason", ledger.Completion{Outcome: reckon.OutcomeBlocked}},
			{"cancelled without reason", ledger.Completion{Outcome: reckon.OutcomeCancelled}},
			{"malformed summary", ledger.Completion{Outcome: reckon.OutcomeSucceeded, Summary: json.RawMessage(`{"items":`)}},
			{"reconciliation without source", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.Source = "" })}},
			{"reconciliation with unknown source", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.Source = "guess" })}},
			{"reconciliation deciding another outcome", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.Decision = reckon.OutcomeFailed })}},
			{"reconciliation without reason", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.ReasonCode = "" })}},
			{"evidence of another workspace", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.Evidence.WorkspaceID = other.WorkspaceID })}},
			{"evidence of another environment", ledger.Completion{Outcome: reckon.OutcomeSucceeded,
				Reconciliation: rec(func(r *reckon.Reconciliation) { r.Evidence.EnvironmentID = other.EnvironmentID })}},
		}
		for _, tc := range cases {
			err := db.InTx(context.Background(), func(tx *store.Tx) error {
				_, _, err := b.ledger.Complete(context.Background(), tx, run.ID, &tc.c)
				return err
			})
			if !errors.Is(err, ledger.ErrInvalidTransition) {
				t.Errorf("%s: %v, want ErrInvalidTransition", tc.name, err)
			}
		}
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, _, err := b.ledger.UpdateWithReconciliation(context.Background(), tx, run.ID,
				reckon.Reconciliation{Source: reckon.SourceAdapter, Decision: reckon.OutcomePending, ReasonCode: "review.available"}, "reconciler")
			return err
		})
		if !errors.Is(err, ledger.ErrInvalidTransition) {
			t.Errorf("reconciliation deciding pending: %v, want ErrInvalidTransition", err)
		}
		if got := b.run(t, scope.WorkspaceID, run.ID); !sameRun(got, run) {
			t.Fatalf("rejected completions changed the run:\n got %+v\nwant %+v", got, run)
		}
		if got := b.counts(t, scope.WorkspaceID); got.audit != 0 {
			t.Fatalf("rejected completions wrote %d audit events", got.audit)
		}
	})
}

func TestUnknownRunNotFound(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := b.ledger.Complete(ctx, tx, 424242, &ledger.Completion{Outcome: reckon.OutcomeSucceeded})
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Complete of a missing run: %v, want ErrNotFound", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := b.ledger.MarkRunning(ctx, tx, 424242)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkRunning of a missing run: %v, want ErrNotFound", err)
		}
	})
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	eachEngineWithClock(t, clock, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:a")
		created := clock.Now()
		if run.Status != reckon.RunQueued || run.Outcome != reckon.OutcomePending || !run.CreatedAt.Equal(created) ||
			!run.DeadlineAt.Equal(created.Add(15*time.Minute)) || run.StartedAt != nil || run.Attempts != 0 {
			t.Fatalf("new run %+v", run)
		}

		clock.Advance(time.Minute)
		started := clock.Now()
		running, changed := b.markRunning(t, run.ID)
		if !changed || running.Status != reckon.RunRunning || running.StartedAt == nil || !running.StartedAt.Equal(started) ||
			!running.DeadlineAt.Equal(started.Add(30*time.Minute)) || running.Attempts != 1 {
			t.Fatalf("marked running: changed=%v %+v", changed, running)
		}

		// A redelivered job marks the run running again: the attempt is
		// counted, the deadline and start time stay.
		clock.Advance(20 * time.Minute)
		again, _ := b.markRunning(t, run.ID)
		if again.Status != reckon.RunRunning || !again.StartedAt.Equal(started) ||
			!again.DeadlineAt.Equal(started.Add(30*time.Minute)) || again.Attempts != 2 {
			t.Fatalf("redelivery extended the run: %+v", again)
		}
		if stored := b.run(t, scope.WorkspaceID, run.ID); !sameRun(stored, again) {
			t.Fatalf("stored run differs from MarkRunning's answer:\n got %+v\nwant %+v", stored, again)
		}

		clock.Advance(time.Minute)
		done, changed := b.complete(t, run.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded,
			Summary: json.RawMessage(`{"findings":3}`), Actor: "job"})
		if !changed || done.Status != reckon.RunCompleted || done.Outcome != reckon.OutcomeSucceeded ||
			!done.CompletedAt.Equal(clock.Now()) || done.Failure != nil || string(done.Summary) != `{"findings":3}` {
			t.Fatalf("completed: changed=%v %+v", changed, done)
		}
		stored := b.run(t, scope.WorkspaceID, run.ID)
		var summary map[string]int
		if err := json.Unmarshal(stored.Summary, &summary); err != nil || summary["findings"] != 3 {
			t.Fatalf("stored summary %s: %v", stored.Summary, err)
		}
		if stored.Context.Fingerprint != "sha256:a" || stored.Context.EvidenceSnapshotID != 7 || stored.Context.Reconciliation != nil {
			t.Fatalf("stored context %+v", stored.Context)
		}
	})
}

func TestQueuedRunCanCompleteWithFailure(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:a")
		done, changed := b.complete(t, run.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleQueued, Actor: "reconciler"})
		if !changed || done.Status != reckon.RunCompleted || done.StartedAt != nil ||
			done.Failure == nil || done.Failure.ReasonCode != reckon.ReasonStaleQueued {
			t.Fatalf("queued → completed: changed=%v %+v", changed, done)
		}
		if stored := b.run(t, scope.WorkspaceID, run.ID); !sameRun(stored, done) {
			t.Fatalf("stored run differs from Complete's answer:\n got %+v\nwant %+v", stored, done)
		}
	})
}

func TestCompletedRunNeverChanges(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		w := b.fx.Workspace()
		scope := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: b.fx.Environment(w).ID}
		user := b.fx.User("x")
		b.fx.Member(w, user, reckon.RoleOperator)
		p := composeParams(scope, "sha256:a")
		p.InitiatorUserID = user.ID
		run, _ := b.ensureWith(t, p)
		b.markRunning(t, run.ID)
		done, changed := b.complete(t, run.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: "review.compose_failed", Actor: "job"})
		if !changed {
			t.Fatal("first terminal write did not change the run")
		}
		before := b.counts(t, scope.WorkspaceID)
		if before.audit != 1 || before.notifications != 1 {
			t.Fatalf("first terminal write: %d audit events and %d notifications, want 1 and 1", before.audit, before.notifications)
		}

		writes := map[string]func(ctx context.Context, tx *store.Tx) (*reckon.Run, bool, error){
			"Complete with the same outcome": func(ctx context.Context, tx *store.Tx) (*reckon.Run, bool, error) {
				return b.ledger.Complete(ctx, tx, run.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: "review.compose_failed", Actor: "job"})
			},
			"Complete with another outcome": func(ctx context.Context, tx *store.Tx) (*reckon.Run, bool, error) {
				return b.ledger.Complete(ctx, tx, run.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded,
					Summary: json.RawMessage(`{"n":1}`), Actor: "user:1"})
			},
			"MarkRunning": func(ctx context.Context, tx *store.Tx) (*reckon.Run, bool, error) {
				return b.ledger.MarkRunning(ctx, tx, run.ID)
			},
			"UpdateWithReconciliation": func(ctx context.Context, tx *store.Tx) (*reckon.Run, bool, error) {
				return b.ledger.UpdateWithReconciliation(ctx, tx, run.ID, reckon.Reconciliation{Source: reckon.SourceAdapter,
					Decision: reckon.OutcomeSucceeded, ReasonCode: "review.available"}, "reconciler")
			},
		}
		for name, write := range writes {
			var got *reckon.Run
			var changed bool
			b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
				got, changed, err = write(ctx, tx)
				return err
			})
			if changed || !sameRun(got, done) {
				t.Errorf("%s on a completed run: changed=%v\n got %+v\nwant %+v", name, changed, got, done)
			}
		}
		if stored := b.run(t, scope.WorkspaceID, run.ID); !sameRun(stored, done) {
			t.Fatalf("the completed run changed:\n got %+v\nwant %+v", stored, done)
		}
		if after := b.counts(t, scope.WorkspaceID); after != before {
			t.Fatalf("writes to a completed run left %+v, before %+v", after, before)
		}
		events := b.auditEvents(t, run.ID)
		if len(events) != 1 || events[0].Action != "run.completed" || events[0].Actor != "job" || events[0].WorkspaceID != scope.WorkspaceID {
			t.Fatalf("audit trail %+v, want one run.completed by job", events)
		}
	})
}

func TestConcurrentTerminalWritesOneAuditEvent(t *testing.T) {
	t.Parallel()
	eachEngineWith(t, &reckontest.Options{MaxConns: raceConns}, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		w := b.fx.Workspace()
		scope := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: b.fx.Environment(w).ID}
		user := b.fx.User("x")
		p := composeParams(scope, "sha256:a")
		p.InitiatorUserID = user.ID
		run, _ := b.ensureWith(t, p)
		b.markRunning(t, run.ID)

		// A job, the reconciler and an operator race to settle the run.
		const writers = raceConns
		outcomes := []reckon.Outcome{reckon.OutcomeSucceeded, reckon.OutcomeFailed, reckon.OutcomeBlocked, reckon.OutcomeCancelled}
		results := make([]*reckon.Run, writers)
		changed := make([]bool, writers)
		errs := make([]error, writers)
		g := newGate(db, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				errs[i] = db.InTx(context.Background(), func(tx *store.Tx) (err error) {
					g.pass()
					results[i], changed[i], err = b.ledger.Complete(context.Background(), tx, run.ID,
						&ledger.Completion{Outcome: outcomes[i%len(outcomes)], ReasonCode: "test.race", Actor: "writer"})
					return err
				})
			})
		}
		wg.Wait()
		winner := -1
		for i := range writers {
			if errs[i] != nil {
				t.Fatalf("writer %d: %v", i, errs[i])
			}
			if changed[i] {
				if winner >= 0 {
					t.Fatalf("writers %d and %d both changed the run", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no writer changed the run")
		}
		stored := b.run(t, scope.WorkspaceID, run.ID)
		if stored.Outcome != outcomes[winner%len(outcomes)] || !sameRun(stored, results[winner]) {
			t.Fatalf("stored run %+v, the winner wrote %+v", stored, results[winner])
		}
		for i := range writers {
			if !sameRun(results[i], stored) {
				t.Fatalf("writer %d was answered %+v, the run is %+v", i, results[i], stored)
			}
		}
		if got := b.counts(t, scope.WorkspaceID); got.audit != 1 || got.notifications != 1 {
			t.Fatalf("%d terminal writes: %d audit events and %d notifications, want 1 and 1", writers, got.audit, got.notifications)
		}
	})
}

func TestNoNotificationWithoutInitiator(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, _ := b.ensure(t, scope, "sha256:a")
		b.complete(t, run.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded})
		if got := b.counts(t, scope.WorkspaceID); got.audit != 1 || got.notifications != 0 {
			t.Fatalf("system run completed: %d audit events and %d notifications, want 1 and 0", got.audit, got.notifications)
		}
		if events := b.auditEvents(t, run.ID); len(events) != 1 || events[0].Actor != "system" {
			t.Fatalf("audit trail %+v, want one event by system", events)
		}
	})
}
