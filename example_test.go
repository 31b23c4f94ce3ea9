package reckon_test

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

type syncArgs struct{ RunID int64 } // the job of a service's own run type
func (syncArgs) Kind() string       { return "inventory.sync" }

// syncAdapter proves a sync from the service's own table, inside the reconciler's transaction.
type syncAdapter struct{}

func (syncAdapter) Name() string               { return "inventory" }
func (syncAdapter) RunTypes() []reckon.RunType { return []reckon.RunType{"inventory.sync"} }
func (syncAdapter) Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, _ time.Time) (reckon.Decision, error) {
	err := tx.QueryRow(ctx, `SELECT items FROM inventory_syncs WHERE run_id = $1`, run.ID).Scan(new(int))
	if store.IsNotFound(err) {
		return reckon.Decision{}, nil // no proof: the run's deadline decides
	}
	return reckon.Decision{Outcome: reckon.OutcomeSucceeded, ReasonCode: "inventory.synced",
		Evidence: reckon.Evidence{WorkspaceID: run.WorkspaceID, RunIDs: []int64{run.ID}}}, err
}

// A service runs its own run type on reckon's ledger and reconciler (docs/adapters.md).
func Example_adapter() {
	ctx, clock := context.Background(), reckon.NewManualClock(time.Now())
	db := must(store.Open(ctx, "sqlite::memory:", &store.Options{Clock: clock.Now})) // or postgres://…
	defer db.Close()
	must(db.Migrate(ctx))
	must(queue.Migrate(ctx, db))
	exec := func(ctx context.Context, q string, args ...any) error { // a statement on the service's own table
		return db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err })
	}
	check(exec(ctx, `CREATE TABLE inventory_syncs (run_id BIGINT PRIMARY KEY, items INTEGER NOT NULL)`))
	cat := catalog.Default()
	check(cat.Add(&catalog.RunType{Key: "inventory.sync", Labels: map[string]string{"en": "Sync inventory"},
		QueuedDeadline: time.Minute, RunningDeadline: time.Hour, JobTimeout: time.Minute,
		JobArgs: func(runID int64) river.JobArgs { return syncArgs{RunID: runID} }, Adapter: syncAdapter{}}))
	// The worker records the sync in the service's table; its process dies before it completes the run.
	worker := river.WorkFunc(func(ctx context.Context, job *river.Job[syncArgs]) error {
		return exec(ctx, `INSERT INTO inventory_syncs (run_id, items) VALUES ($1, 42)`, job.Args.RunID)
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	l := ledger.New(cat, must(queue.New(db, &queue.Config{Workers: workers})))
	var run *reckon.Run
	check(db.InTx(ctx, func(tx *store.Tx) error {
		ws, err := tx.CreateWorkspace(ctx, "acme", "Acme")
		if err == nil {
			run, _, err = l.Ensure(ctx, tx, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: ws.ID}, Type: "inventory.sync"})
		}
		return err
	}))
	check(worker.Work(ctx, &river.Job[syncArgs]{Args: syncArgs{RunID: run.ID}})) // as the queue delivers it
	clock.Advance(2 * time.Minute)                                               // past the queued deadline
	res := must(reconcile.New(db, l, nil).Sweep(ctx))
	check(db.InTx(ctx, func(tx *store.Tx) (err error) { run, err = tx.Run(ctx, run.WorkspaceID, run.ID); return err }))
	fmt.Println(res.Settled, run.Status, run.Outcome, run.Context.Reconciliation.ReasonCode)
	// Output: 1 completed succeeded inventory.synced
}

func must[T any](v T, err error) T { check(err); return v }

func check(err error) {
	if err != nil {
		panic(err)
	}
}
