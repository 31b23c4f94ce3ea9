package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// app is one process's wiring: the database, the run catalog, the job
// queue, the ledger and the domain services on top of them.
type app struct {
	g        *globals
	log      *slog.Logger
	db       *store.DB
	catalog  *catalog.Catalog
	workers  *river.Workers
	queue    *queue.Queue
	ledger   *ledger.Ledger
	registry *prometheus.Registry
	// Domain services (wireDomains).
	reviews    *review.Service
	restores   *restore.Service
	reconciler *reconcile.Reconciler
	// secureCookies marks console cookies Secure (serve --secure-cookies).
	secureCookies bool
}

// appOptions say what a command needs from the wiring.
type appOptions struct {
	// work makes the queue client work jobs (serve, worker); otherwise it
	// only inserts them.
	work bool
	// maxWorkers bounds concurrent jobs when working.
	maxWorkers int
}

// openApp opens the database, brings the schema up to date (or refuses a
// schema that is behind), and wires the services.
func openApp(ctx context.Context, e *env, g *globals, opts appOptions) (*app, error) {
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel(e)}))
	db, err := store.Open(ctx, g.database, nil)
	if err != nil {
		return nil, err
	}
	a := &app{g: g, log: log, db: db, registry: prometheus.NewRegistry()}
	if err := a.prepareSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.catalog = catalog.Default()
	a.catalog.Apply(catalog.Overrides{QueuedDeadline: g.queuedDeadline, RunningDeadline: g.runningDeadline})
	qcfg := &queue.Config{Logger: log.With("component", "queue"), FetchPollInterval: pollInterval(db)}
	if opts.work {
		a.workers = river.NewWorkers()
		qcfg.Workers = a.workers
		qcfg.MaxWorkers = opts.maxWorkers
		qcfg.PeriodicJobs = []*river.PeriodicJob{reconcile.PeriodicJob(g.reconcileInterval)}
	}
	if a.queue, err = queue.New(db, qcfg); err != nil {
		db.Close()
		return nil, err
	}
	a.ledger = ledger.New(a.catalog, a.queue)
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.wireDomains(ctx, e); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.catalog.Validate(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// wireDomains registers the domain packages: their jobs, workers, adapters,
// services and metrics.
func (a *app) wireDomains(ctx context.Context, e *env) error {
	a.reviews = review.NewService(review.Deps{DB: a.db, Ledger: a.ledger, Catalog: a.catalog})
	if a.workers != nil {
		review.Register(a.catalog, a.workers, a.reviews, &review.WorkerOptions{
			Delay: testComposeDelay(e), Logger: a.log.With("component", "review")})
	} else {
		a.catalog.SetJob(reckon.RunTypeReviewCompose, func(runID int64) river.JobArgs { return review.ComposeArgs{RunID: runID} })
	}
	return a.wireReconciliation()
}

func (a *app) close() { a.db.Close() }

func (a *app) prepareSchema(ctx context.Context) error {
	if a.g.autoMigrate {
		if _, err := a.db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", a.db.Source(), err)
		}
		if _, err := queue.Migrate(ctx, a.db); err != nil {
			return err
		}
		return nil
	}
	if err := a.db.CheckSchema(ctx); err != nil {
		return err
	}
	return queue.CheckSchema(ctx, a.db)
}

// pollInterval is how often idle workers look for jobs. PostgreSQL wakes
// workers with LISTEN/NOTIFY, so River's default poll is a fallback there;
// SQLite has no notifications, so a short poll keeps it responsive.
func pollInterval(db *store.DB) time.Duration {
	if db.Engine() == store.SQLite {
		return 200 * time.Millisecond
	}
	return 0
}

func logLevel(e *env) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(e.getenv("RECKON_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// testComposeDelay is a test-only slow-down of review composition, read from
// RECKON_TEST_COMPOSE_DELAY so that a crash test can kill a worker while a
// review is a draft. It is never set in production.
func testComposeDelay(e *env) time.Duration {
	d, err := time.ParseDuration(e.getenv("RECKON_TEST_COMPOSE_DELAY"))
	if err != nil {
		return 0
	}
	return d
}
