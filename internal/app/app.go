// Package app is reckon's composition root: it builds one reckon process
// from a database and options — the run catalog, the job queue, the ledger,
// the domains with their jobs, workers and adapters, the reconciler, the
// metrics and the HTTP surface. The command (cli), the demo data (seed),
// the guided tour (demo) and the benchmarks (bench) all wire through New, so
// a process is assembled in one place.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/internal/telemetry"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/metrics"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Options say what a process needs. Zero values take the defaults.
type Options struct {
	// Logger receives every component's log, tagged with its name;
	// discarded when nil.
	Logger *slog.Logger
	// Deadlines override every run type's deadlines.
	Deadlines catalog.Overrides
	// Work makes the process work jobs: each domain adds its worker to the
	// queue's bundle. Otherwise the queue only inserts jobs.
	Work bool
	// MaxWorkers bounds concurrent jobs when working (the queue's default
	// when 0).
	MaxWorkers int
	// PollInterval is how often idle workers look for jobs; when 0, a short
	// poll on SQLite and River's default on PostgreSQL.
	PollInterval time.Duration
	// SweepEvery, when working, runs the reconciler's periodic sweep at this
	// interval; no periodic sweep when 0.
	SweepEvery time.Duration
	// ComposeDelay slows the compose job down while its review is a draft,
	// so that a crash test can kill a worker in that window. A test seam;
	// 0 in production.
	ComposeDelay time.Duration
	// Tracing traces requests, jobs, transactions, the ledger and sweeps
	// (telemetry.FromEnv); off when nil.
	Tracing *telemetry.Tracing
}

// App is one wired process. Workers and Composer are nil unless the
// process works jobs.
type App struct {
	DB         *store.DB
	Log        *slog.Logger
	Catalog    *catalog.Catalog
	Workers    *river.Workers
	Queue      *queue.Queue
	Ledger     *ledger.Ledger
	Reviews    *review.Service
	Composer   *review.Worker
	Restores   *restore.Service
	Reconciler *reconcile.Reconciler
	Operator   *operator.Service
	// Registry holds reckon's metrics and the Go and process collectors.
	Registry *prometheus.Registry
	// node is this process's node while it works jobs (StartWorking).
	node    *reconcile.Node
	Metrics *metrics.Metrics
	Tracing *telemetry.Tracing
}

// New wires a process on db, whose schema must be current. The queue is not
// started: a working process calls Queue.Start when it is ready.
func New(db *store.DB, opts *Options) (*App, error) {
	if opts == nil {
		opts = &Options{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{DB: db, Log: log, Catalog: catalog.Default(), Registry: prometheus.NewRegistry(), Tracing: opts.Tracing}
	a.Catalog.Apply(opts.Deadlines)
	var err error
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.Metrics, err = metrics.New(a.Registry, db, log.With("component", "metrics")); err != nil {
		return nil, err
	}
	a.Metrics.WatchNodes(a.Catalog.Liveness.DeadAfter)
	qm, err := metrics.NewQueue(a.Registry, db, a.Metrics)
	if err != nil {
		return nil, err
	}
	tracer := opts.Tracing.Tracer()
	db.SetTracer(tracer)
	qcfg := &queue.Config{Logger: log.With("component", "queue"), FetchPollInterval: opts.PollInterval,
		RescueAfter: a.Catalog.RescueAfter(), Middleware: []rivertype.Middleware{qm}}
	if opts.Tracing != nil {
		// Trace context travels in the job's metadata; the work span links
		// to the span that enqueued it.
		qcfg.Middleware = append([]rivertype.Middleware{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
			TracerProvider: opts.Tracing.Provider, MeterProvider: metricnoop.NewMeterProvider(),
			EnableTracePropagation: true, EnableWorkSpanJobKindSuffix: true,
		})}, qcfg.Middleware...)
	}
	if qcfg.FetchPollInterval <= 0 {
		qcfg.FetchPollInterval = pollInterval(db)
	}
	if opts.Work {
		a.Workers = river.NewWorkers()
		qcfg.Workers, qcfg.MaxWorkers = a.Workers, opts.MaxWorkers
		if opts.SweepEvery > 0 {
			qcfg.PeriodicJobs = []*river.PeriodicJob{reconcile.PeriodicJob(opts.SweepEvery)}
		}
	}
	if a.Queue, err = queue.New(db, qcfg); err != nil {
		return nil, err
	}
	a.Ledger = ledger.New(a.Catalog, a.Queue)
	a.Ledger.Instrument(tracer, a.Metrics)

	// Every domain registers the same way: its job, its adapter, and its
	// worker when the process works jobs.
	a.Reviews = review.NewService(review.Deps{DB: db, Ledger: a.Ledger, Catalog: a.Catalog})
	a.Composer = review.Register(a.Catalog, a.Workers, a.Reviews,
		&review.WorkerOptions{Delay: opts.ComposeDelay, Logger: log.With("component", "review")})
	a.Restores = restore.NewService(db, a.Ledger, &restore.Options{Logger: log.With("component", "restore")})
	restore.Register(a.Catalog, a.Workers, a.Restores)

	a.Reconciler = reconcile.New(db, a.Ledger, &reconcile.Config{Logger: log.With("component", "reconcile"),
		Observer: a.Metrics, Tracer: tracer})
	if a.Workers != nil {
		reconcile.Register(a.Workers, a.Reconciler)
	}
	a.Operator = operator.New(operator.Deps{DB: db, Ledger: a.Ledger, Queue: a.Queue, Reviews: a.Reviews,
		Restores: a.Restores, Reconciler: a.Reconciler})
	if err := operator.Register(a.Catalog, a.Workers, a.Operator); err != nil {
		return nil, err
	}
	if err := a.Catalog.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// pollInterval is how often idle workers look for jobs on db. PostgreSQL
// wakes workers with LISTEN/NOTIFY, so River's default poll is a fallback
// there; SQLite has no notifications, so a short poll keeps it responsive.
func pollInterval(db *store.DB) time.Duration {
	if db.Engine() == store.SQLite {
		return 200 * time.Millisecond
	}
	return 0
}

// WorkCompose delivers a compose run's job to w in this process, as the
// queue would on its first attempt: the demo data and the guided tour work
// each job in turn, so that their histories are the same on every run.
func WorkCompose(ctx context.Context, w *review.Worker, runID int64) error {
	return w.Work(ctx, &river.Job[review.ComposeArgs]{
		JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 25, Kind: review.ComposeArgs{}.Kind()},
		Args:   review.ComposeArgs{RunID: runID},
	})
}

// Work starts working jobs, works them until ctx ends, then stops, giving
// jobs in flight up to shutdownTimeout to finish.
func (a *App) Work(ctx context.Context, shutdownTimeout time.Duration) error {
	if err := a.StartWorking(ctx); err != nil {
		return err
	}
	a.Log.Info("reckon worker started", "database", a.DB.Source(), "engine", a.DB.Engine())
	<-ctx.Done()
	a.Log.Info("shutting down", "timeout", shutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return a.StopWorking(stopCtx)
}

// StartWorking starts this process as a node (reconcile.StartNode): it
// heartbeats at the catalog's interval, hands dead nodes' runs on after
// each beat, names its attempts, and works the queue's jobs.
func (a *App) StartWorking(ctx context.Context) (err error) {
	a.node, err = a.Reconciler.StartNode(ctx, a.Queue, a.Log.With("component", "node"))
	return err
}

// StopWorking stops the queue — jobs in flight may finish until ctx ends,
// then the rest are cancelled — and then marks the node stopped, so that
// live nodes hand on at once whatever did not finish.
func (a *App) StopWorking(ctx context.Context) error {
	if a.node == nil {
		return a.Queue.Stop(ctx)
	}
	return a.node.Stop(ctx)
}

// Close flushes the spans not yet exported, then closes the database.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Tracing.Shutdown(ctx); err != nil {
		a.Log.Warn("telemetry: spans not exported", "err", err)
	}
	a.DB.Close()
}
