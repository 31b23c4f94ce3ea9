// Package queue runs reckon's jobs on River: riverpgxv5 on PostgreSQL and
// riversqlite on the embedded default. It hides River's per-engine client
// type behind one small surface — insert a job in a store transaction,
// start and stop the worker host, run River's migrations — so that the
// services above never see which engine they are on. OpenMigrated opens a
// database with reckon's schema and the queue's both current.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon/store"
)

// Config configures a queue client.
type Config struct {
	// Workers is the bundle of job workers. Nil makes an insert-only client.
	// Workers may be added to the bundle until Start.
	Workers *river.Workers
	// MaxWorkers bounds concurrent jobs on the default queue (default 10).
	MaxWorkers int
	// PeriodicJobs run on the elected leader only: one client among all the
	// clients working jobs on the database.
	PeriodicJobs []*river.PeriodicJob
	// JobTimeout bounds one attempt of any job; per-worker Timeout methods
	// override it.
	JobTimeout time.Duration
	// FetchPollInterval is how often idle workers look for jobs (River's
	// default when 0). SQLite has no LISTEN/NOTIFY, so polling is how work
	// is found there.
	FetchPollInterval time.Duration
	// RescueAfter is when River's rescuer takes back a job still running
	// (catalog.RescueAfter); River's default of one hour when 0.
	RescueAfter time.Duration
	Logger      *slog.Logger
	// Middleware wraps every insert and every attempt (traces, metrics),
	// outside the queue's own, which retries an attempt that met an
	// unavailable database again a second later.
	Middleware []rivertype.Middleware
}

// Queue is a River client for either engine.
type Queue struct {
	engine store.Engine
	pg     *river.Client[pgx.Tx]
	sq     *river.Client[*sql.Tx]
}

// New returns a queue client on db.
func New(db *store.DB, cfg *Config) (*Queue, error) {
	rc := &river.Config{
		Logger:               cfg.Logger,
		PeriodicJobs:         cfg.PeriodicJobs,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rc.Middleware = append(append(rc.Middleware, cfg.Middleware...), &rideOutOutages{log: log})
	if rc.RescueStuckJobsAfter > 0 && rc.JobTimeout == 0 {
		// River refuses a rescue sooner than the default job timeout.
		rc.JobTimeout = min(river.JobTimeoutDefault, rc.RescueStuckJobsAfter)
	}
	if cfg.FetchPollInterval > 0 {
		rc.FetchPollInterval = cfg.FetchPollInterval
		if rc.FetchCooldown > rc.FetchPollInterval || rc.FetchCooldown == 0 {
			rc.FetchCooldown = min(cfg.FetchPollInterval, 100*time.Millisecond)
		}
	}
	if cfg.Workers != nil {
		n := cfg.MaxWorkers
		if n <= 0 {
			n = 10
		}
		rc.Workers = cfg.Workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
	}
	q := &Queue{engine: db.Engine()}
	var err error
	switch db.Engine() {
	case store.Postgres:
		q.pg, err = river.NewClient(riverpgxv5.New(db.Pool()), rc)
	case store.SQLite:
		q.sq, err = river.NewClient(riversqlite.New(db.SQLDB()), rc)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

// InsertTx inserts a job in the store transaction, so that the job exists if
// and only if the transaction commits.
func (q *Queue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	var err error
	switch raw := tx.Raw().(type) {
	case pgx.Tx:
		r, e := q.pg.InsertTx(ctx, raw, args, opts)
		if e == nil {
			return r.Job.ID, nil
		}
		err = e
	case *sql.Tx:
		r, e := q.sq.InsertTx(ctx, raw, args, opts)
		if e == nil {
			return r.Job.ID, nil
		}
		err = e
	default:
		err = errors.New("unknown transaction type")
	}
	return 0, fmt.Errorf("queue: insert %s: %w", args.Kind(), err)
}

// ClientID is the River client's id, which River's attempted_by records
// for each attempt of a job.
func (q *Queue) ClientID() string {
	if q.pg != nil {
		return q.pg.ID()
	}
	return q.sq.ID()
}

// CompleteJobTx marks the running job completed in the store transaction,
// from inside its worker: the job's end commits with the run's, so a job is
// never retried after its run completed, and River's own completion of it
// afterwards finds the job no longer running and changes nothing. A job
// the queue is not running (a worker called directly, as demos and tests
// do) has nothing to complete.
func CompleteJobTx[T river.JobArgs](ctx context.Context, tx *store.Tx, job *river.Job[T]) error {
	if job.JobRow == nil || job.State != rivertype.JobStateRunning {
		return nil
	}
	var err error
	switch raw := tx.Raw().(type) {
	case pgx.Tx:
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, raw, job)
	case *sql.Tx:
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, raw, job)
	default:
		err = errors.New("unknown transaction type")
	}
	if err != nil {
		return fmt.Errorf("queue: complete job %d: %w", job.ID, err)
	}
	return nil
}

// CompleteJob is CompleteJobTx for a later transaction: the job's end for
// ledger.Completion.EndJob, which completes the job with its run.
func CompleteJob[T river.JobArgs](job *river.Job[T]) func(ctx context.Context, tx *store.Tx) error {
	return func(ctx context.Context, tx *store.Tx) error { return CompleteJobTx(ctx, tx, job) }
}

// InsertManyTx inserts jobs in the store transaction in one statement and
// returns their ids in the order of params.
func (q *Queue) InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]int64, error) {
	var (
		res []*rivertype.JobInsertResult
		err error
	)
	switch raw := tx.Raw().(type) {
	case pgx.Tx:
		res, err = q.pg.InsertManyTx(ctx, raw, params)
	case *sql.Tx:
		res, err = q.sq.InsertManyTx(ctx, raw, params)
	default:
		err = errors.New("unknown transaction type")
	}
	if err != nil {
		return nil, fmt.Errorf("queue: insert %d jobs: %w", len(params), err)
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	return ids, nil
}

// Start starts working jobs and the periodic jobs. It returns at once.
func (q *Queue) Start(ctx context.Context) error {
	if q.pg != nil {
		return q.pg.Start(ctx)
	}
	return q.sq.Start(ctx)
}

// Stop stops fetching new jobs and waits for jobs in flight to finish until
// ctx ends; then it cancels the remaining jobs and waits for them to return.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.pg != nil {
		err = q.pg.Stop(ctx)
	} else {
		err = q.sq.Stop(ctx)
	}
	if err == nil || ctx.Err() == nil {
		return err
	}
	hard, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if q.pg != nil {
		return q.pg.StopAndCancel(hard)
	}
	return q.sq.StopAndCancel(hard)
}

// Subscribe returns River's events of the given kinds; call cancel to stop.
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.SubscribeBuffered(0, kinds...)
}

// SubscribeBuffered is Subscribe with room for size events (River's default
// when 0). River drops events that would overflow the channel, so a caller
// that must see every event sizes it for all of them.
func (q *Queue) SubscribeBuffered(size int, kinds ...river.EventKind) (<-chan *river.Event, func()) {
	cfg := &river.SubscribeConfig{ChanSize: size, Kinds: kinds}
	if q.pg != nil {
		return q.pg.SubscribeConfig(cfg)
	}
	return q.sq.SubscribeConfig(cfg)
}

// Migrate runs River's own migrations and returns how many it applied.
func Migrate(ctx context.Context, db *store.DB) (int, error) {
	var (
		res *rivermigrate.MigrateResult
		err error
	)
	switch db.Engine() {
	case store.Postgres:
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(db.Pool()), nil); err == nil {
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case store.SQLite:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(db.SQLDB()), nil); err == nil {
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("queue: migrate: %w", err)
	}
	return len(res.Versions), nil
}

// OpenMigrated opens the database at rawURL, as store.Open does, and brings
// reckon's schema and the queue's up to date: the database that a process
// running reckon's ledger on this queue works on. The database is closed
// again when a migration fails.
func OpenMigrated(ctx context.Context, rawURL string, opts *store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	if _, err = db.Migrate(ctx); err == nil {
		_, err = Migrate(ctx, db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", db.Source(), err)
	}
	return db, nil
}

// CheckSchema reports whether River's migrations are all applied.
func CheckSchema(ctx context.Context, db *store.DB) error {
	var (
		res *rivermigrate.MigrateResult
		err error
	)
	opts := &rivermigrate.MigrateOpts{DryRun: true}
	switch db.Engine() {
	case store.Postgres:
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(db.Pool()), nil); err == nil {
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, opts)
		}
	case store.SQLite:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(db.SQLDB()), nil); err == nil {
			res, err = m.Migrate(ctx, rivermigrate.DirectionUp, opts)
		}
	}
	if err != nil {
		return fmt.Errorf("queue: check schema: %w", err)
	}
	if len(res.Versions) > 0 {
		return fmt.Errorf("the job queue's schema is behind by %d migrations: run reckon migrate", len(res.Versions))
	}
	return nil
}
