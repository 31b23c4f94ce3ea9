package ledger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type noopArgs struct {
	RunID int64 `json:"run_id"`
}

func (noopArgs) Kind() string { return "test.noop" }

type testBundle struct {
	db     *store.DB
	ledger *ledger.Ledger
	fx     *reckontest.Fixture
}

func setup(t *testing.T, db *store.DB) *testBundle {
	t.Helper()
	q, err := queue.New(db, &queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	cat.SetJob(reckon.RunTypeReviewCompose, func(id int64) river.JobArgs { return noopArgs{RunID: id} })
	return &testBundle{db: db, ledger: ledger.New(cat, q), fx: reckontest.NewFixture(t, db)}
}

func (b *testBundle) ensure(t *testing.T, scope reckon.Scope, key string) (*reckon.Run, bool) {
	t.Helper()
	var run *reckon.Run
	var created bool
	err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		run, created, err = b.ledger.Ensure(context.Background(), tx, &ledger.EnsureParams{
			Scope: scope, Type: reckon.RunTypeReviewCompose, Key: key,
			Context: reckon.RunContext{Fingerprint: key},
		})
		return err
	})
	if err != nil {
		t.Fatalf("ensure: %v", err)
	}
	return run, created
}

func TestEnsureConcurrentOneRun(t *testing.T) {
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		const callers = 64
		ids := make([]int64, callers)
		created := make([]bool, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				run, c := b.ensure(t, scope, "sha256:same")
				ids[i], created[i] = run.ID, c
			})
		}
		wg.Wait()
		nCreated := 0
		for i := range callers {
			if ids[i] != ids[0] {
				t.Fatalf("caller %d got run %d, caller 0 got %d", i, ids[i], ids[0])
			}
			if created[i] {
				nCreated++
			}
		}
		if nCreated != 1 {
			t.Fatalf("%d callers created a run, want exactly 1", nCreated)
		}
		var run *reckon.Run
		if err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
			run, err = tx.Run(context.Background(), scope.WorkspaceID, ids[0])
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if run.JobID == 0 || run.Status != reckon.RunQueued || run.DeadlineAt.Before(run.CreatedAt.Add(time.Minute)) {
			t.Fatalf("unexpected run %+v", run)
		}
	})
}
