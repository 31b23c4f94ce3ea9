package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// LedgerTarget is the ratio of ledger to raw River throughput reckon aims
// for on PostgreSQL: the bookkeeping may cost at most 30%.
const LedgerTarget = 1 / 1.3

// maxConns bounds the benchmark's PostgreSQL pool.
const maxConns = 40

// LedgerOptions configure Ledger. Zero values take the defaults.
type LedgerOptions struct {
	// DatabaseURL names where to measure: empty for a temporary SQLite
	// file, "sqlite:PATH" for a temporary file next to PATH,
	// "postgres://…" for a fresh schema on that server. Existing data is
	// never touched.
	DatabaseURL string
	// Runs is how many jobs each phase carries.
	Runs int
	// Workers is how many jobs are worked at once.
	Workers int
	// Inserters is how many goroutines insert at once.
	Inserters int
	// PollInterval is how often idle workers look for jobs, and the least
	// time between two fetches. PostgreSQL also wakes them on insert;
	// SQLite only polls.
	PollInterval time.Duration
	// Log receives River's warnings; nil discards them.
	Log *slog.Logger
}

// DefaultLedgerOptions are the options Ledger uses where a field is zero.
// They measure capacity: with River's serving defaults (a fetch at most
// every 100ms for 10 workers) both phases would only measure the fetch
// cadence, at about 100 jobs a second.
func DefaultLedgerOptions() LedgerOptions {
	return LedgerOptions{Runs: 1000, Workers: 20, Inserters: 8, PollInterval: 5 * time.Millisecond}
}

func (o LedgerOptions) withDefaults() LedgerOptions {
	def := DefaultLedgerOptions()
	o.Runs = cmp.Or(max(o.Runs, 0), def.Runs)
	o.Workers = cmp.Or(max(o.Workers, 0), def.Workers)
	o.Inserters = cmp.Or(max(o.Inserters, 0), def.Inserters)
	o.PollInterval = cmp.Or(max(o.PollInterval, 0), def.PollInterval)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// LedgerResult is what Ledger measured.
type LedgerResult struct {
	Engine       store.Engine  `json:"engine"`
	Database     string        `json:"database"`
	Runs         int           `json:"runs"`
	Workers      int           `json:"workers"`
	Inserters    int           `json:"inserters"`
	PollInterval time.Duration `json:"poll_interval_ns"`
	// River is phase (a): no-op jobs, each inserted in its own transaction
	// and worked by River alone.
	River Throughput `json:"river"`
	// Ledger is phase (b): runs ensured with their job in one transaction,
	// marked running by the job, then completed with their audit event.
	Ledger Throughput `json:"ledger"`
	// Ratio is Ledger's rate over River's.
	Ratio float64 `json:"ratio"`
	// RiverCost and LedgerCost are what one job of each phase cost the
	// database.
	RiverCost  PerJob `json:"river_per_job"`
	LedgerCost PerJob `json:"ledger_per_job"`
}

// PerJob is what one job cost the database on average, counted on the
// store's connections: round trips (on PostgreSQL a statement sent alone or
// a pipelined batch of several; on SQLite every statement), statements
// (BEGIN and COMMIT included) and commits. River's own statements — fetch,
// completion, leadership, maintenance — are counted with the phase's.
type PerJob struct {
	RoundTrips float64 `json:"round_trips"`
	Statements float64 `json:"statements"`
	Commits    float64 `json:"commits"`
}

func perJob(c store.StatementCount, n int) PerJob {
	return PerJob{RoundTrips: float64(c.RoundTrips) / float64(n), Statements: float64(c.Statements) / float64(n),
		Commits: float64(c.Commits) / float64(n)}
}

func (p PerJob) String() string {
	return fmt.Sprintf("%.1f round trips, %.1f statements, %.1f commits per job", p.RoundTrips, p.Statements, p.Commits)
}

// Ledger measures, on one fresh database in this process, (a) River's
// throughput for no-op jobs and (b) the ledger's throughput for whole runs
// with the same workers, poll interval and insert pattern, and prints both
// with their ratio to out, with a progress line every second.
func Ledger(ctx context.Context, opts *LedgerOptions, out io.Writer) (*LedgerResult, error) {
	if opts == nil {
		opts = &LedgerOptions{}
	}
	o := opts.withDefaults()
	// Every worker and inserter may hold a connection and River's producer,
	// completer, elector and listener want a few more, but a benchmark must
	// not take all of a shared server's connections.
	s, err := openScratch(ctx, o.DatabaseURL, int32(min(o.Workers+o.Inserters+8, maxConns)))
	if err != nil {
		return nil, err
	}
	defer s.close()
	res := &LedgerResult{Engine: s.db.Engine(), Database: s.where, Runs: o.Runs, Workers: o.Workers,
		Inserters: o.Inserters, PollInterval: o.PollInterval}
	fmt.Fprintf(out, "reckon bench ledger: %s, %s\n", res.Engine, res.Database)
	fmt.Fprintf(out, "%d jobs per phase, %d workers, %d inserters, poll every %s\n", o.Runs, o.Workers, o.Inserters, o.PollInterval)

	fmt.Fprintln(out, "(a) River, no-op jobs")
	if res.River, res.RiverCost, err = measure(ctx, s.db, o, out, "river", riverPhase); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "(a) River:  %s\n      %s\n", res.River, res.RiverCost)

	fmt.Fprintln(out, "(b) ledger, ensure + enqueue → mark running → complete with audit")
	if res.Ledger, res.LedgerCost, err = measure(ctx, s.db, o, out, "ledger", ledgerPhase); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "(b) ledger: %s\n      %s\n", res.Ledger, res.LedgerCost)
	if a := res.River.PerSecond(); a > 0 {
		res.Ratio = res.Ledger.PerSecond() / a
	}
	fmt.Fprintf(out, "b/a = %.2f (target on PostgreSQL: at least %.2f)\n", res.Ratio, LedgerTarget)
	return res, nil
}

// A phase registers its worker on a fresh queue client and returns how to
// insert job i in a transaction and how to check the database afterwards.
type phase func(ctx context.Context, db *store.DB, q *queue.Queue, workers *river.Workers) (insert func(ctx context.Context, tx *store.Tx, i int) error, verify func(ctx context.Context, tx *store.Tx, n int) error, err error)

type noopArgs struct {
	Seq int `json:"seq"`
}

func (noopArgs) Kind() string { return "bench.noop" }

func riverPhase(_ context.Context, _ *store.DB, q *queue.Queue, workers *river.Workers) (func(context.Context, *store.Tx, int) error, func(context.Context, *store.Tx, int) error, error) {
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[noopArgs]) error { return nil }))
	insert := func(ctx context.Context, tx *store.Tx, i int) error {
		_, err := q.InsertTx(ctx, tx, noopArgs{Seq: i}, nil)
		return err
	}
	verify := func(ctx context.Context, tx *store.Tx, n int) error {
		return expectCompletedJobs(ctx, tx, noopArgs{}.Kind(), n)
	}
	return insert, verify, nil
}

type ledgerRunArgs struct {
	RunID int64 `json:"run_id"`
}

func (ledgerRunArgs) Kind() string { return "bench.ledger_run" }

// ledgerWorker does what every run's job does around its work: mark the run
// running in one transaction, complete it — and its job — in another.
type ledgerWorker struct {
	river.WorkerDefaults[ledgerRunArgs]
	db     *store.DB
	ledger *ledger.Ledger
}

func (w *ledgerWorker) Work(ctx context.Context, job *river.Job[ledgerRunArgs]) error {
	run, _, err := w.ledger.Start(ctx, w.db, job.Args.RunID)
	if err != nil || run.Status != reckon.RunRunning {
		return err
	}
	return w.db.InTx(ctx, func(tx *store.Tx) error {
		_, _, err := w.ledger.Complete(ctx, tx, job.Args.RunID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded,
			Actor: "job", EndJob: queue.CompleteJob(job)})
		return err
	})
}

func ledgerPhase(ctx context.Context, db *store.DB, q *queue.Queue, workers *river.Workers) (func(context.Context, *store.Tx, int) error, func(context.Context, *store.Tx, int) error, error) {
	cat := catalog.Default()
	cat.SetJob(reckon.RunTypeReviewCompose, func(runID int64) river.JobArgs { return ledgerRunArgs{RunID: runID} })
	l := ledger.New(cat, q)
	river.AddWorker(workers, &ledgerWorker{db: db, ledger: l})
	var scope reckon.Scope
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		w, err := tx.CreateWorkspace(ctx, "bench", "Benchmark")
		if err != nil {
			return err
		}
		e, err := tx.CreateEnvironment(ctx, w.ID, "bench", "Benchmark", "")
		if err != nil {
			return err
		}
		scope = reckon.Scope{WorkspaceID: w.ID, EnvironmentID: e.ID}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("bench: workspace: %w", err)
	}
	insert := func(ctx context.Context, tx *store.Tx, i int) error {
		key := fmt.Sprintf("bench-%d", i)
		_, created, err := l.Ensure(ctx, tx, &ledger.EnsureParams{
			Scope: scope, Type: reckon.RunTypeReviewCompose, Key: key, Context: reckon.RunContext{Fingerprint: key},
		})
		if err == nil && !created {
			err = fmt.Errorf("bench: run %s already existed", key)
		}
		return err
	}
	verify := func(ctx context.Context, tx *store.Tx, n int) error {
		if err := expectCompletedJobs(ctx, tx, ledgerRunArgs{}.Kind(), n); err != nil {
			return err
		}
		// One audit event per terminal transition: n completed runs.
		events, err := tx.CountAuditEvents(ctx)
		if err != nil {
			return err
		}
		if events != int64(n) {
			return fmt.Errorf("bench: %d audit events for %d runs", events, n)
		}
		return nil
	}
	return insert, verify, nil
}

func expectCompletedJobs(ctx context.Context, tx *store.Tx, kind string, n int) error {
	got, err := tx.QueueJobCount(ctx, kind, "completed")
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("bench: %d of %d %s jobs completed", got, n, kind)
	}
	return nil
}

// measure runs one phase on a fresh queue client: o.Inserters goroutines
// insert o.Runs jobs, one transaction each, while o.Workers work them. The
// clock runs from the first insert until River reports the last job
// completed.
func measure(ctx context.Context, db *store.DB, o LedgerOptions, out io.Writer, label string, p phase) (Throughput, PerJob, error) {
	workers := river.NewWorkers()
	q, err := queue.New(db, &queue.Config{Workers: workers, MaxWorkers: o.Workers,
		FetchPollInterval: o.PollInterval, Logger: o.Log})
	if err != nil {
		return Throughput{}, PerJob{}, err
	}
	insert, verify, err := p(ctx, db, q, workers)
	if err != nil {
		return Throughput{}, PerJob{}, err
	}
	events, unsubscribe := q.SubscribeBuffered(o.Runs+o.Workers, river.EventKindJobCompleted,
		river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	defer unsubscribe()
	if err := q.Start(ctx); err != nil {
		return Throughput{}, PerJob{}, err
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
		_ = q.Stop(stopCtx)
	}()

	var done, next, inserted atomic.Int64
	stopProgress := progress(out, label, "done", o.Runs, &done)
	defer stopProgress()
	insertCtx, cancel := context.WithCancelCause(ctx)
	var inserters sync.WaitGroup
	defer inserters.Wait()
	defer cancel(nil)
	insertTx := make([][]time.Duration, o.Inserters) // one slice per inserter, merged after the wait
	start, before := time.Now(), db.Statements()
	var insertedAt time.Duration // written by the last insert, read after the wait
	for n := range o.Inserters {
		inserters.Go(func() {
			for {
				i := int(next.Add(1))
				if i > o.Runs || insertCtx.Err() != nil {
					return
				}
				began := time.Now()
				if err := db.InTx(insertCtx, func(tx *store.Tx) error { return insert(insertCtx, tx, i) }); err != nil {
					cancel(fmt.Errorf("bench: insert %s job %d: %w", label, i, err))
					return
				}
				insertTx[n] = append(insertTx[n], time.Since(began))
				if inserted.Add(1) == int64(o.Runs) {
					insertedAt = time.Since(start)
				}
			}
		})
	}
	last, stats, err := awaitCompleted(insertCtx, events, o.Runs, &done)
	if err != nil {
		if cause := context.Cause(insertCtx); cause != nil {
			err = cause
		}
		return Throughput{}, PerJob{}, err
	}
	cost := perJob(db.Statements().Sub(before), o.Runs)
	cancel(nil)
	inserters.Wait()
	res := Throughput{Count: o.Runs, Elapsed: last.Sub(start), Inserted: insertedAt, InsertTx: spreadOf(slices.Concat(insertTx...))}
	res.Work, res.Wait = jobSpreads(stats)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return verify(ctx, tx, o.Runs) }); err != nil {
		return Throughput{}, PerJob{}, err
	}
	return res, cost, nil
}
