package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestEnsureManyCreatesRunsWithTheirJobs(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		active, _ := b.ensure(t, scope, "sha256:active")
		ps := []*ledger.EnsureParams{
			composeParams(scope, "sha256:1"),
			composeParams(scope, "sha256:active"), // returns the active run
			composeParams(scope, "sha256:2"),
			composeParams(scope, "sha256:1"),                                    // the batch's own duplicate
			{Scope: scope, Type: reckon.RunTypeRestoreExecute, Key: "backup-1"}, // no job
		}
		var (
			runs    []*reckon.Run
			created []bool
		)
		b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			runs, created, err = b.ledger.EnsureMany(ctx, tx, ps)
			return err
		})
		if len(runs) != len(ps) || len(created) != len(ps) {
			t.Fatalf("%d runs, %d created flags for %d params", len(runs), len(created), len(ps))
		}
		wantCreated := []bool{true, false, true, false, true}
		for i, run := range runs {
			if created[i] != wantCreated[i] || run.Status != reckon.RunQueued || run.Type != ps[i].Type ||
				run.IdentityHash != ledger.Identity(ps[i].Type, scope, ps[i].Key) {
				t.Fatalf("run %d: created=%v %+v", i, created[i], run)
			}
		}
		if runs[1].ID != active.ID || runs[3].ID != runs[0].ID || runs[0].ID == runs[2].ID {
			t.Fatalf("run ids %d %d %d %d, active %d", runs[0].ID, runs[1].ID, runs[2].ID, runs[3].ID, active.ID)
		}
		var jobs []store.QueueJob
		b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			jobs, err = tx.QueueJobs(ctx, noopArgs{}.Kind())
			return err
		})
		// One job per created compose run, the active run's own included.
		if len(jobs) != 3 {
			t.Fatalf("%d jobs, want 3", len(jobs))
		}
		byID := map[int64]int64{}
		for _, j := range jobs {
			var args noopArgs
			if err := json.Unmarshal(j.Args, &args); err != nil {
				t.Fatal(err)
			}
			byID[j.ID] = args.RunID
		}
		for _, run := range []*reckon.Run{runs[0], runs[2]} {
			if run.JobID == 0 || byID[run.JobID] != run.ID {
				t.Fatalf("run %d has job %d, which executes run %d", run.ID, run.JobID, byID[run.JobID])
			}
			if stored := b.run(t, scope.WorkspaceID, run.ID); stored.JobID != run.JobID {
				t.Fatalf("stored job id %d, EnsureMany returned %d", stored.JobID, run.JobID)
			}
		}
		if runs[4].JobID != 0 {
			t.Fatalf("a restore run got job %d", runs[4].JobID)
		}
	})
}

func TestEnsureManyRefusesAnEnvironmentOfAnotherWorkspace(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		other := b.fx.Scope()
		wrong := reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: other.EnvironmentID}
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, _, err := b.ledger.EnsureMany(context.Background(), tx,
				[]*ledger.EnsureParams{composeParams(scope, "sha256:ok"), composeParams(wrong, "sha256:wrong")})
			return err
		})
		if !store.IsNotFound(err) {
			t.Fatalf("EnsureMany with another workspace's environment: %v, want not found", err)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 0 || got.jobs != 0 {
			t.Fatalf("after the refusal: %d runs, %d jobs", got.runs, got.jobs)
		}
	})
}

// TestEnsureManyOfManyCostsThreeStatements counts what a batch of new runs
// sends, whatever its size: one statement for the runs, River's insert of
// their jobs, one for the jobs' ids, in a transaction of five statements.
// On PostgreSQL they are three round trips (BEGIN travels with the runs,
// the ids with COMMIT). River may add a notification of the insert.
func TestEnsureManyOfManyCostsThreeStatements(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		// River asks the server's version once per client: warm it up.
		b.ensure(t, scope, "sha256:warm")
		ps := make([]*ledger.EnsureParams, 200)
		for i := range ps {
			ps[i] = composeParams(scope, fmt.Sprintf("sha256:%d", i))
		}
		sent := b.sentBy(t, func(ctx context.Context, tx *store.Tx) error {
			_, _, err := b.ledger.EnsureMany(ctx, tx, ps)
			return err
		})
		trips, statements := int64(3), int64(5)
		if db.Engine() == store.SQLite {
			trips = 5
		}
		if sent.RoundTrips == trips+1 && sent.Statements == statements+1 {
			trips, statements = trips+1, statements+1 // River's notification of the insert
		}
		if sent.RoundTrips != trips || sent.Statements != statements {
			t.Fatalf("EnsureMany of %d sent %d round trips and %d statements, want %d and %d (one more each with River's notification)",
				len(ps), sent.RoundTrips, sent.Statements, trips, statements)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != int64(len(ps)+1) || got.jobs != int64(len(ps)+1) {
			t.Fatalf("%d runs and %d jobs, want %d of each", got.runs, got.jobs, len(ps)+1)
		}
	})
}
