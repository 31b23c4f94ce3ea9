package seed_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/internal/seed"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

func TestDemoHistoryIsTruthful(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			clock := reckon.NewManualClock(reckon.SystemClock())
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			a, err := app.New(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			end := reckontest.Epoch()
			var out bytes.Buffer
			login, err := seed.Demo(ctx, a, clock, &seed.Options{BaseURL: "http://127.0.0.1:8080/", Out: &out,
				Now: func() time.Time { return end }})
			if err != nil {
				t.Fatal(err)
			}
			if !login.Seeded || login.URL != "http://127.0.0.1:8080/login" || !strings.Contains(out.String(), login.Password) ||
				!strings.Contains(out.String(), seed.DemoEmail) {
				t.Fatalf("login %+v, printed %q", login, out.String())
			}

			err = db.InTx(ctx, func(tx *store.Tx) error {
				u, err := tx.UserByEmail(ctx, seed.DemoEmail)
				if err != nil {
					return err
				}
				if ok, _ := access.VerifyPassword(u.PasswordHash, login.Password); !ok || !u.IsPlatformSupport {
					t.Errorf("demo login does not sign in: %v %v", ok, u.IsPlatformSupport)
				}
				all, err := tx.Workspaces(ctx)
				if err != nil || len(all) != 2 {
					t.Fatalf("workspaces %v %v", all, err)
				}
				f := store.RunFilter{AllWorkspaces: true, Limit: 1000}
				runs, err := tx.ListRuns(ctx, &f)
				if err != nil {
					return err
				}
				outcomes := map[reckon.Outcome]int{}
				reasons := map[string]bool{}
				var last time.Time
				for i := len(runs) - 1; i >= 0; i-- { // oldest first
					run := runs[i]
					if run.Status != reckon.RunCompleted {
						t.Errorf("run %d is left %s", run.ID, run.Status)
					}
					// Its job is not left in the queue, to run with
					// nothing to do once the demo works jobs.
					if run.JobID != 0 {
						if _, err := a.Queue.JobTx(ctx, tx, run.JobID); !store.IsNotFound(err) {
							t.Errorf("run %d's job %d is still in the queue (%v)", run.ID, run.JobID, err)
						}
					}
					if run.CreatedAt.Before(last) {
						t.Errorf("run %d was created before the run before it", run.ID)
					}
					last = run.CreatedAt
					if run.CompletedAt == nil || run.CompletedAt.After(end) {
						t.Errorf("run %d completed at %v, after the history's end", run.ID, run.CompletedAt)
					}
					outcomes[run.Outcome]++
					// The blocked run is a real ambiguity: two current
					// reviews of its evidence, for an operator to resolve.
					if run.Outcome == reckon.OutcomeBlocked {
						competitors, err := review.Competitors(ctx, tx, run)
						if err != nil {
							return err
						}
						if !review.Ambiguous(run) || len(competitors) != 2 {
							t.Errorf("blocked run %d is not an ambiguity to resolve: %+v, %d current reviews",
								run.ID, run.Context.Reconciliation, len(competitors))
						}
					}
					if rec := run.Context.Reconciliation; rec != nil && rec.Source != reckon.SourceComposeJob {
						reasons[rec.ReasonCode] = true
					}
					// Every terminal transition wrote exactly one audit event.
					events, err := tx.AuditEvents(ctx, run.WorkspaceID, "operation_run", run.ID)
					if err != nil {
						return err
					}
					n := 0
					for _, e := range events {
						if e.Action == "run.completed" {
							n++
						}
					}
					if n != 1 {
						t.Errorf("run %d has %d completion events", run.ID, n)
					}
				}
				for _, o := range []reckon.Outcome{reckon.OutcomeSucceeded, reckon.OutcomePartiallySucceeded,
					reckon.OutcomeBlocked, reckon.OutcomeFailed} {
					if outcomes[o] == 0 {
						t.Errorf("no %s run in the demo: %v", o, outcomes)
					}
				}
				for _, code := range []string{"review.compose_stalled", "review.not_produced", "review.ambiguous", reckon.ReasonStaleRunning} {
					if !reasons[code] {
						t.Errorf("the reconciler never decided %s: %v", code, reasons)
					}
				}
				statuses := map[reckon.ReviewStatus]int{}
				for _, ws := range all {
					list, err := tx.Reviews(ctx, ws.ID, store.ReviewFilter{Limit: 1000})
					if err != nil {
						return err
					}
					for _, v := range list {
						statuses[v.Status]++
					}
				}
				for _, st := range []reckon.ReviewStatus{reckon.ReviewPublished, reckon.ReviewSuperseded, reckon.ReviewArchived, reckon.ReviewReady} {
					if statuses[st] == 0 {
						t.Errorf("no %s review in the demo: %v", st, statuses)
					}
				}
				unread, err := tx.CountUnreadNotifications(ctx, u.ID)
				if err != nil || unread != 3 {
					t.Errorf("unread notifications %d %v", unread, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			// Again: the data stays, the password is new.
			out.Reset()
			again, err := seed.Demo(ctx, a, clock, &seed.Options{Out: &out})
			if err != nil {
				t.Fatal(err)
			}
			if again.Seeded || again.Password == login.Password || !strings.Contains(out.String(), again.Password) {
				t.Fatalf("second run %+v", again)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				u, err := tx.UserByEmail(ctx, seed.DemoEmail)
				if err != nil {
					return err
				}
				if ok, _ := access.VerifyPassword(u.PasswordHash, again.Password); !ok {
					t.Error("the new password does not sign in")
				}
				all, err := tx.Workspaces(ctx)
				if len(all) != 2 {
					t.Errorf("workspaces after a second run: %d", len(all))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
