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

type syncArgs struct{ RunID int64 } // the queue job of the service's own run type
func (syncArgs) Kind() string       { return "inventory.sync" }

// proveSync is the adapter: it proves a sync from the service's own table, in the reconciler's transaction.
func proveSync(ctx context.Context, tx *store.Tx, run *reckon.Run, _ time.Time) (reckon.Decision, error) {
	err := tx.QueryRow(ctx, `SELECT run_id FROM inventory_syncs WHERE run_id = $1`, run.ID).Scan(new(int64))
	if store.IsNotFound(err) {
		return reckon.Decision{}, nil // no proof: the run's deadline decides
	}
	return reckon.Decision{Outcome: reckon.OutcomeSucceeded, ReasonCode: "inventory.synced", Evidence: run.Evidence()}, err
}

// A service runs its own run type on reckon's ledger and reconciler (docs/adapters.md).
func Example_adapter() {
	ctx, clock := context.Background(), reckon.NewManualClock(time.Now())
	db := must(queue.OpenMigrated(ctx, "sqlite::memory:", &store.Options{Clock: clock.Now})) // or postgres://…
	defer db.Close()
	must(db.Exec(ctx, `CREATE TABLE inventory_syncs (run_id BIGINT PRIMARY KEY)`))
	cat := catalog.New() // the service's run types, and only those
	must(cat, cat.Add(&catalog.RunType{Key: "inventory.sync", QueuedDeadline: time.Minute, RunningDeadline: time.Hour, JobTimeout: time.Minute,
		JobArgs: func(id int64) river.JobArgs { return syncArgs{id} }, Adapter: catalog.AdapterFunc("inventory", proveSync)}))
	// The worker records the sync in the service's table; its process dies before it completes the run.
	worker := catalog.Worker(cat, "inventory.sync", func(ctx context.Context, job *river.Job[syncArgs]) error {
		_, err := db.Exec(ctx, `INSERT INTO inventory_syncs (run_id) VALUES ($1)`, job.Args.RunID)
		return err
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	l := ledger.New(cat, must(queue.New(db, &queue.Config{Workers: workers})))
	ws := must(store.InTxValue(ctx, db, func(tx *store.Tx) (*reckon.Workspace, error) { return tx.CreateWorkspace(ctx, "acme", "Acme") }))
	run, _, err := l.Trigger(ctx, db, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: ws.ID}, Type: "inventory.sync"})
	must(run, err)
	must(run, worker.Work(ctx, &river.Job[syncArgs]{Args: syncArgs{run.ID}})) // as the queue delivers it
	clock.Advance(2 * time.Minute)                                            // past the queued deadline
	res := must(reconcile.New(db, l, nil).Sweep(ctx))
	run = must(store.InTxValue(ctx, db, func(tx *store.Tx) (*reckon.Run, error) { return tx.Run(ctx, run.WorkspaceID, run.ID) }))
	fmt.Println(res.Settled, run.Status, run.Outcome, run.Context.Reconciliation.Adapter, run.Context.Reconciliation.ReasonCode)
	// Output: 1 completed succeeded inventory inventory.synced
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
