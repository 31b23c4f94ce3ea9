package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

type inventoryArgs struct{ RunID int64 }

func (inventoryArgs) Kind() string { return "inventory.sync" }

// A service's process wired from the public parts as docs/adapters.md
// says — its catalog, its worker, the sweep's worker and periodic job in
// its queue, started as a node — settles its own run by its adapter's proof once the run is
// past its deadline, with no one calling Sweep. The worker writes the
// proof and never completes the run, as a worker that dies would.
func TestAServiceProcessSweepsItsOwnRunsPeriodically(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := reckontest.Open(t, engine, nil) // River schedules by real time: no test clock
			if _, err := db.Exec(ctx, `CREATE TABLE inventory_syncs (run_id BIGINT PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
			cat := catalog.New()
			cat.Liveness = catalog.Liveness{Interval: 100 * time.Millisecond, DeadAfter: 300 * time.Millisecond}
			proof := catalog.AdapterFunc("inventory", func(ctx context.Context, tx *store.Tx, run *reckon.Run, _ time.Time) (reckon.Decision, error) {
				err := tx.QueryRow(ctx, `SELECT run_id FROM inventory_syncs WHERE run_id = $1`, run.ID).Scan(new(int64))
				if store.IsNotFound(err) {
					return reckon.Decision{}, nil
				}
				return reckon.Decision{Outcome: reckon.OutcomeSucceeded, ReasonCode: "inventory.synced", Evidence: run.Evidence()}, err
			})
			if err := cat.Add(&catalog.RunType{Key: "inventory.sync", QueuedDeadline: 500 * time.Millisecond,
				RunningDeadline: 2 * time.Second, JobTimeout: 500 * time.Millisecond, Labels: map[string]string{"en": "Inventory sync"},
				JobArgs: func(id int64) river.JobArgs { return inventoryArgs{id} }, Adapter: proof}); err != nil {
				t.Fatal(err)
			}
			workers := river.NewWorkers()
			river.AddWorker(workers, catalog.Worker(cat, "inventory.sync", func(ctx context.Context, job *river.Job[inventoryArgs]) error {
				_, err := db.Exec(ctx, `INSERT INTO inventory_syncs (run_id) VALUES ($1)`, job.Args.RunID)
				return err
			}))
			q, err := queue.New(db, &queue.Config{Workers: workers, RescueAfter: cat.RescueAfter(),
				FetchPollInterval: 50 * time.Millisecond,
				PeriodicJobs:      []*river.PeriodicJob{reconcile.PeriodicJob(100 * time.Millisecond)}})
			if err != nil {
				t.Fatal(err)
			}
			l := ledger.New(cat, q)
			reconciler := reconcile.New(db, l, nil)
			reconcile.Register(workers, reconciler)
			node, err := reconciler.StartNode(ctx, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := node.Stop(stopCtx); err != nil {
					t.Error(err)
				}
			})

			// Started, it published its type's label for reckon's console beside it.
			var ws *reckon.Workspace
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				if labels, err := tx.RunTypeLabels(ctx); err != nil || labels["inventory.sync"]["en"] != "Inventory sync" {
					t.Errorf("published labels %v, %v; want the service's", labels, err)
				}
				ws, err = tx.CreateWorkspace(ctx, "acme", "Acme")
				return err
			})
			run, _, err := l.Trigger(ctx, db, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: ws.ID}, Type: "inventory.sync"})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for run.Status.Active() {
				if time.Now().After(deadline) {
					t.Fatalf("run %d is still %s: no periodic sweep settled it", run.ID, run.Status)
				}
				time.Sleep(50 * time.Millisecond)
				run = reckontest.Run(t, db, ws.ID, run.ID)
			}
			rec := run.Context.Reconciliation
			if run.Outcome != reckon.OutcomeSucceeded || rec == nil || rec.Source != reckon.SourceAdapter ||
				rec.Adapter != "inventory" || rec.ReasonCode != "inventory.synced" {
				t.Fatalf("run %d: %s with %+v, want succeeded by the inventory adapter", run.ID, run.Outcome, rec)
			}
			// The process was a node while it worked, and says it stopped.
			if err := node.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
				n, err := tx.Node(ctx, node.ID())
				if err == nil && (n.StoppedAt == nil || n.HeartbeatAt.Before(n.StartedAt)) {
					t.Errorf("node %+v: want it registered and stopped", n)
				}
				return err
			})
		})
	}
}
