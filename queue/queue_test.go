package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type countArgs struct {
	N int `json:"n"`
}

func (countArgs) Kind() string { return "test.count" }

type countWorker struct {
	river.WorkerDefaults[countArgs]
	sum atomic.Int64
}

func (w *countWorker) Work(ctx context.Context, job *river.Job[countArgs]) error {
	w.sum.Add(int64(job.Args.N))
	return nil
}

func jobCount(t *testing.T, db *store.DB, kind, state string) int64 {
	t.Helper()
	var n int64
	if err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		n, err = tx.QueueJobCount(context.Background(), kind, state)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInsertTxJobExistsOnlyIfCommitted(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q, err := queue.New(db, &queue.Config{})
		if err != nil {
			t.Fatal(err)
		}
		abort := errors.New("abort")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := q.InsertTx(ctx, tx, countArgs{N: 1}, nil); err != nil {
				return err
			}
			return abort
		})
		if !errors.Is(err, abort) {
			t.Fatalf("InTx: %v", err)
		}
		if n := jobCount(t, db, "test.count", ""); n != 0 {
			t.Fatalf("a rolled-back insert left %d jobs", n)
		}
		var id int64
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			id, err = q.InsertTx(ctx, tx, countArgs{N: 1}, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if id == 0 || jobCount(t, db, "test.count", "available") != 1 {
			t.Fatalf("a committed insert: id %d, want one available job", id)
		}
	})
}

func TestWorkersWorkInsertedJobs(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &countWorker{}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := queue.New(db, &queue.Config{Workers: workers, MaxWorkers: 4, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		const jobs = 20
		events, cancel := q.SubscribeBuffered(jobs, river.EventKindJobCompleted)
		defer cancel()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		for i := 1; i <= jobs; i++ {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := q.InsertTx(ctx, tx, countArgs{N: i}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		timeout := time.After(30 * time.Second)
		for range jobs {
			select {
			case <-events:
			case <-timeout:
				t.Fatalf("only %d of %d jobs completed", jobCount(t, db, "test.count", "completed"), jobs)
			}
		}
		if got, want := w.sum.Load(), int64(jobs*(jobs+1)/2); got != want {
			t.Fatalf("workers summed %d, want %d: a job was lost or worked twice", got, want)
		}
		if n := jobCount(t, db, "test.count", "completed"); n != jobs {
			t.Fatalf("%d completed jobs, want %d", n, jobs)
		}
	})
}

type blockArgs struct{}

func (blockArgs) Kind() string { return "test.block" }

// blockWorker runs until its context ends and reports that it did.
type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started   chan struct{}
	cancelled chan struct{}
}

func (w *blockWorker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	close(w.started)
	<-ctx.Done()
	close(w.cancelled)
	return ctx.Err()
}

// startOneJob starts a queue working only w, inserts one job with args and
// waits until the job has started.
func startOneJob[T river.JobArgs](t *testing.T, db *store.DB, w river.Worker[T], args T, started <-chan struct{}) *queue.Queue {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err := queue.New(db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := q.InsertTx(ctx, tx, args, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("job never started")
	}
	return q
}

func TestStopCancelsJobsThatOutliveTheTimeout(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &blockWorker{started: make(chan struct{}), cancelled: make(chan struct{})}
		q := startOneJob(t, db, w, blockArgs{}, w.started)
		stopCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		begun := time.Now()
		_ = q.Stop(stopCtx)
		select {
		case <-w.cancelled:
		default:
			t.Fatal("Stop returned with the job still running")
		}
		if took := time.Since(begun); took > 6*time.Second {
			t.Fatalf("Stop took %s with a 300ms timeout", took)
		}
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test.tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	ticked chan struct{}
}

func (w *tickWorker) Work(ctx context.Context, job *river.Job[tickArgs]) error {
	select {
	case w.ticked <- struct{}{}:
	default:
	}
	return nil
}

func TestPeriodicJobsRun(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &tickWorker{ticked: make(chan struct{}, 1)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		periodic := river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})
		q, err := queue.New(db, &queue.Config{Workers: workers, PeriodicJobs: []*river.PeriodicJob{periodic},
			FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) })
		select {
		case <-w.ticked:
		case <-time.After(30 * time.Second):
			t.Fatal("the periodic job never ran")
		}
	})
}

func TestMigrateAndCheckSchema(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, reckontest.URL(t, engine), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := queue.CheckSchema(ctx, db); err == nil {
				t.Fatal("CheckSchema passed on an empty database")
			}
			if n, err := queue.Migrate(ctx, db); err != nil || n == 0 {
				t.Fatalf("Migrate: applied %d, %v", n, err)
			}
			if n, err := queue.Migrate(ctx, db); err != nil || n != 0 {
				t.Fatalf("second Migrate: applied %d, %v; want 0", n, err)
			}
			if err := queue.CheckSchema(ctx, db); err != nil {
				t.Fatalf("CheckSchema after Migrate: %v", err)
			}
		})
	}
}

// OpenMigrated answers a database with both schemas current, and refuses,
// closed, one whose schema it cannot bring up to date.
func TestOpenMigrated(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dbURL := reckontest.URL(t, engine)
			db, err := queue.OpenMigrated(ctx, dbURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Errorf("reckon's schema: %v", err)
			}
			if err := queue.CheckSchema(ctx, db); err != nil {
				t.Errorf("the queue's schema: %v", err)
			}
			// A schema from a newer reckon cannot be brought up to date.
			if _, err := db.Exec(ctx, `INSERT INTO reckon_schema_migrations (version, applied_at) VALUES ($1, 'later')`,
				store.SchemaVersion()+1); err != nil {
				t.Fatal(err)
			}
			db.Close()
			db, err = queue.OpenMigrated(ctx, dbURL, nil)
			if err == nil {
				db.Close()
				t.Fatal("a schema ahead of this reckon was opened")
			}
			if !strings.Contains(err.Error(), "newer than this binary") {
				t.Errorf("error %v, want the schema ahead", err)
			}
		})
	}
}
