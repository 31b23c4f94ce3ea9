// Package store is reckon's storage layer: one schema and one set of queries
// for PostgreSQL (pgx) and embedded SQLite (modernc.org/sqlite, pure Go). All
// SQL lives here. Driver errors are interpreted at this edge: a unique
// violation becomes ErrConflict, a missing row ErrNotFound, and no driver text
// travels further than a log line.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/reckonhq/reckon"
)

// Engine names a database engine.
type Engine string

// Engines.
const (
	Postgres Engine = "postgres"
	SQLite   Engine = "sqlite"
)

// Sentinel errors returned by store methods.
var (
	// ErrNotFound: the row does not exist in the given scope.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique constraint rejected the write.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalidReference: the write refers to a row that does not exist
	// (a foreign key rejected it).
	ErrInvalidReference = errors.New("store: reference to a missing row")
)

// DB is an open database of either engine.
type DB struct {
	engine Engine
	pool   *pgxpool.Pool // Postgres
	sqldb  *sql.DB       // SQLite
	clock  reckon.Clock
	source string // the URL without credentials, for messages
	count  counter
	// tracer makes a span per transaction when set (trace.go). Atomic:
	// processes that share one DB (tests run several) set it while
	// another's transactions run.
	tracer atomic.Pointer[tracerRef]
}

// Options configure Open.
type Options struct {
	// Clock fixes "now" for every transaction; SystemClock when nil.
	Clock reckon.Clock
	// MaxConns bounds the PostgreSQL pool; pgx's default when 0.
	MaxConns int32
	// BusyTimeout is how long an SQLite writer waits for another process's
	// lock before SQLITE_BUSY (10s when 0).
	BusyTimeout time.Duration
}

// Open connects to the database named by rawURL: "postgres://…" or
// "postgresql://…" for PostgreSQL, "sqlite:PATH" (or "sqlite://PATH") for an
// SQLite file. It checks that the database is reachable.
func Open(ctx context.Context, rawURL string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = &Options{}
	}
	clock := opts.Clock
	if clock == nil {
		clock = reckon.SystemClock
	}
	engine, target, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db := &DB{engine: engine, clock: clock, source: Redact(rawURL)}
	switch engine {
	case Postgres:
		cfg, err := pgxpool.ParseConfig(target)
		if err != nil {
			return nil, fmt.Errorf("database URL %s is not valid: %w", db.source, unwrapParse(err))
		}
		if opts.MaxConns > 0 {
			cfg.MaxConns = opts.MaxConns
		}
		cfg.ConnConfig.Tracer = &db.count
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", db.source, err)
		}
		pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := pool.Ping(pingCtx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("database %s is unreachable: %s", db.source, safeConnError(err))
		}
		db.pool = pool
	case SQLite:
		sqldb := sql.OpenDB(countingDriver{c: &db.count, dsn: sqliteDSN(target, opts.BusyTimeout)})
		// SQLite allows one writer at a time. One connection serialises
		// reckon's and River's work in this process instead of failing with
		// SQLITE_BUSY; the busy timeout covers other processes on the file.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetConnMaxIdleTime(0)
		if err := sqldb.PingContext(ctx); err != nil {
			sqldb.Close()
			return nil, fmt.Errorf("database %s cannot be opened: %w", db.source, err)
		}
		db.sqldb = sqldb
	}
	return db, nil
}

// ParseURL splits a database URL into its engine and the driver's target.
func ParseURL(rawURL string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			return "", "", fmt.Errorf("database URL %s is not valid: %w", Redact(rawURL), unwrapParse(err))
		}
		return Postgres, rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite://"):
		return sqliteTarget(strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "sqlite:"):
		return sqliteTarget(strings.TrimPrefix(rawURL, "sqlite:"))
	}
	return "", "", fmt.Errorf("database URL %q is not supported: use postgres://… or sqlite:PATH", Redact(rawURL))
}

func sqliteTarget(path string) (Engine, string, error) {
	if path == "" {
		return "", "", errors.New("database URL sqlite: names no file: use sqlite:PATH")
	}
	return SQLite, path, nil
}

// sqliteDSN turns a file path into a modernc DSN with reckon's settings:
// WAL for concurrent readers in other processes, a busy timeout, foreign keys
// enforced, and IMMEDIATE transactions so a writer waits for the lock at BEGIN
// rather than failing when it upgrades a read lock.
func sqliteDSN(path string, busy time.Duration) string {
	if busy <= 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "file:" + path + sep + q.Encode()
}

// Redact returns the URL with any password replaced, for messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return redactUnparsed(rawURL)
	}
	if u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// redactUnparsed hides the password of a URL that does not parse, which is
// exactly the URL an error message is about to show. It hides too much
// rather than too little.
func redactUnparsed(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

func unwrapParse(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// safeConnError shortens a connection error to one line: pgx joins the
// errors of every connection attempt (with and without TLS), which repeat.
func safeConnError(err error) string {
	msg := err.Error()
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		msg = ce.Unwrap().Error()
	}
	first, _, _ := strings.Cut(msg, "\n")
	return first
}

// Engine returns the database engine.
func (db *DB) Engine() Engine { return db.engine }

// Source returns the database URL without credentials.
func (db *DB) Source() string { return db.source }

// Pool returns the PostgreSQL pool (nil on SQLite), for the queue driver.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// SQLDB returns the SQLite handle (nil on PostgreSQL), for the queue driver.
func (db *DB) SQLDB() *sql.DB { return db.sqldb }

// Now returns the current time from the database's clock.
func (db *DB) Now() time.Time { return db.clock().UTC().Truncate(time.Microsecond) }

// Close releases the database.
func (db *DB) Close() {
	if db.pool != nil {
		db.pool.Close()
	}
	if db.sqldb != nil {
		db.sqldb.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.pool != nil {
		return db.pool.Ping(ctx)
	}
	return db.sqldb.PingContext(ctx)
}

// InTx runs fn in a transaction and commits when fn returns nil. The
// transaction's Now is fixed once per attempt, from the clock.
//
// A transaction that the database lost or refused before it committed — a
// connection cut or refused, a server shutting down (57P01–57P03), too many
// connections (53300), a connection exception (08…), a serialization failure
// (40001), a deadlock (40P01), SQLITE_BUSY past the busy timeout — runs
// again, up to retryAttempts times within retryBudget, after a jittered
// backoff. Every fn must therefore be safe to run again: it writes only
// through tx (a job inserted through tx is part of it), and what it leaves
// in variables outside it is assigned afresh on each run, never appended to
// or counted across runs; effects outside the database — metrics, messages,
// files, channels — belong after InTx returns. A failure that remains, or a
// connection lost during the commit itself without an answer (the commit
// may have landed, so it is not run again), is returned wrapped in
// ErrUnavailable.
//
// With a tracer, the whole call (its runs again included) is one span.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, fn, false)
}

// InStatement runs fn, whose write is one statement, as that statement's
// own transaction: on PostgreSQL no BEGIN and no COMMIT are sent, and a
// statement — a data-modifying CTE included — is atomic by itself, so such
// a write costs one round trip. Any further statement of fn is a
// transaction of its own too: fn reads after its write, never writes
// twice. On SQLite, where a write may take several statements and BEGIN
// and COMMIT are calls into the engine rather than round trips, it is
// InTx.
//
// fn runs again as InTx's does, but only while nothing of it can have
// committed: the database refused its first statement, or never received
// it. A connection lost while a statement ran is ErrUnavailable at once.
func (db *DB) InStatement(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, fn, db.engine == Postgres)
}

// run is InTx, or InStatement when single.
func (db *DB) run(ctx context.Context, fn func(tx *Tx) error, single bool) (err error) {
	t := db.tracer.Load()
	if t != nil {
		var end func(error)
		ctx, end = db.startTx(ctx, t.Tracer)
		defer func() { end(err) }()
	}
	start := time.Now()
	for n := 0; ; n++ {
		f, aerr := db.attempt(ctx, fn, single, t != nil)
		if f == failPermanent || ctx.Err() != nil {
			return aerr
		}
		if f == failRetry && n+1 < retryAttempts {
			if wait := backoff(n); time.Since(start)+wait < retryBudget {
				if sleep(ctx, wait) != nil {
					return aerr
				}
				continue
			}
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, aerr)
	}
}

// InTxValue runs fn in a transaction, as DB.InTx does, and returns the
// value of the run that committed.
func InTxValue[T any](ctx context.Context, db *DB, fn func(tx *Tx) (T, error)) (T, error) {
	var v T
	err := db.InTx(ctx, func(tx *Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v, err
}

// Exec runs one statement on the caller's own tables (see Tx.Exec) in a
// transaction of its own.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return InTxValue(ctx, db, func(tx *Tx) (int64, error) { return tx.Exec(ctx, q, args...) })
}

// attempt runs fn in one transaction (single: in statements that are
// their own) and says how it failed, if it did.
func (db *DB) attempt(ctx context.Context, fn func(tx *Tx) error, single, traced bool) (failure, error) {
	tx, err := db.begin(ctx, single)
	if err != nil {
		return classify(err, false, false), err
	}
	if traced {
		tx.span = trace.SpanFromContext(ctx)
	}
	returned := false
	defer func() {
		if !returned { // fn panicked, or ended its goroutine (t.Fatal)
			tx.rollback()
		}
	}()
	err = fn(tx)
	returned = true
	if err != nil {
		lost := tx.connLost()
		tx.rollback()
		return tx.failure(err, lost, false), err
	}
	if err := tx.commit(ctx); err != nil {
		return tx.failure(err, tx.connLost(), true), err
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return failPermanent, nil
}

// begin starts a transaction. On PostgreSQL it only takes a connection:
// BEGIN travels with the first statement, or is never sent when single
// (pgtx.go).
// failure classifies how the attempt of tx failed. In a single-statement
// attempt every statement commits as it runs: a lost one may have landed.
func (tx *Tx) failure(err error, connLost, atCommit bool) failure {
	if tx.pg != nil && tx.pg.single {
		return tx.pg.singleFailure(classify(err, connLost, true))
	}
	return classify(err, connLost, atCommit)
}

func (db *DB) begin(ctx context.Context, single bool) (*Tx, error) {
	tx := &Tx{engine: db.engine, now: db.Now()}
	if db.pool != nil {
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: begin: %w", err)
		}
		tx.pg = &pgTx{conn: conn, single: single, begun: single, count: &db.count}
		return tx, nil
	}
	var err error
	if tx.sq, err = db.sqldb.BeginTx(ctx, nil); err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return tx, nil
}

// Tx is a transaction on either engine. Store methods hang off it so that a
// service can compose several writes — and the queue insert of a job — into
// one commit.
type Tx struct {
	engine Engine
	pg     *pgTx
	sq     *sql.Tx
	now    time.Time
	// afterCommit runs once the transaction has committed (AfterCommit).
	afterCommit []func()
	span        trace.Span // the transaction's span when traced (trace.go)
}

// Now is the transaction's fixed current time.
func (tx *Tx) Now() time.Time { return tx.now }

// Engine returns the database engine.
func (tx *Tx) Engine() Engine { return tx.engine }

// Raw returns the driver transaction (pgx.Tx or *sql.Tx) so the queue can
// insert a job in it. On PostgreSQL its first statement carries whatever
// the transaction has not sent yet.
func (tx *Tx) Raw() any {
	if tx.pg != nil {
		return tx.pg
	}
	return tx.sq
}

func (tx *Tx) commit(ctx context.Context) error {
	var err error
	if tx.pg != nil {
		err = tx.pg.Commit(ctx)
	} else {
		err = tx.sq.Commit()
	}
	if err != nil {
		return fmt.Errorf("store: commit: %w", interpret(err))
	}
	return nil
}

// connLost reports whether the transaction's connection is gone, whatever
// error the body made of that.
func (tx *Tx) connLost() bool { return tx.pg != nil && tx.pg.connLost() }

func (tx *Tx) rollback() {
	if tx.pg != nil {
		_ = tx.pg.Rollback(context.Background())
	} else {
		_ = tx.sq.Rollback()
	}
}

// rebind turns $1-style placeholders into SQLite's numbered ?1 form. The
// queries are written once, in PostgreSQL's notation.
func (tx *Tx) rebind(q string) string {
	if tx.engine != SQLite {
		return q
	}
	b := []byte(q)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '$' && b[i+1] >= '0' && b[i+1] <= '9' {
			b[i] = '?'
		}
	}
	return string(b)
}

// args converts arguments for the engine: SQLite stores times as fixed-width
// UTC text, so that comparing text compares time.
func (tx *Tx) args(args []any) []any {
	if tx.engine != SQLite {
		return args
	}
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = formatTime(v)
		case *time.Time:
			if v == nil {
				out[i] = nil
			} else {
				out[i] = formatTime(*v)
			}
		default:
			out[i] = a
		}
	}
	return out
}

// execLater runs a statement whose answer the transaction does not wait
// for. On PostgreSQL it is queued, travels with the transaction's next
// statement or its COMMIT, and an error of it is that round trip's; on
// SQLite, where a statement is a call into the engine and no round trip,
// it runs now.
func (tx *Tx) execLater(ctx context.Context, q string, args ...any) error {
	if tx.pg != nil {
		tx.pg.later(q, args, nil)
		return nil
	}
	_, err := tx.exec(ctx, q, args...)
	return err
}

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if tx.pg != nil {
		tag, err := tx.pg.Exec(ctx, q, args...)
		if err != nil {
			return 0, interpret(err)
		}
		return tag.RowsAffected(), nil
	}
	res, err := tx.sq.ExecContext(ctx, tx.rebind(q), tx.args(args)...)
	if err != nil {
		return 0, interpret(err)
	}
	return res.RowsAffected()
}

// QueryRow runs a query of the caller's own tables in the transaction and
// returns its one row; Scan returns ErrNotFound when there is none. The
// query is written once for both engines, with $1-style placeholders. It is
// for services that run their own run types on reckon (docs/adapters.md):
// an adapter proves an outcome from its own rows with it; reckon's tables
// are read through the typed methods.
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) interface{ Scan(dest ...any) error } {
	return tx.queryRow(ctx, q, args...)
}

// Exec runs a statement on the caller's own tables in the transaction, as
// QueryRow does a query, and returns the number of rows it affected.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return tx.exec(ctx, q, args...)
}

// scanner is a single row; Scan returns ErrNotFound when there is none.
type scanner interface{ Scan(dest ...any) error }

type row struct{ r scanner }

func (r row) Scan(dest ...any) error { return interpret(r.r.Scan(dest...)) }

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) scanner {
	if tx.pg != nil {
		return row{tx.pg.QueryRow(ctx, q, args...)}
	}
	return row{tx.sq.QueryRowContext(ctx, tx.rebind(q), tx.args(args)...)}
}

// rows is the common surface of pgx.Rows and *sql.Rows.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func (tx *Tx) query(ctx context.Context, q string, args ...any) (rows, error) {
	if tx.pg != nil {
		r, err := tx.pg.Query(ctx, q, args...)
		if err != nil {
			return nil, interpret(err)
		}
		return r, nil
	}
	r, err := tx.sq.QueryContext(ctx, tx.rebind(q), tx.args(args)...)
	if err != nil {
		return nil, interpret(err)
	}
	return sqlRows{r}, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](r rows, scan func(r rows) (T, error)) ([]T, error) {
	defer r.Close()
	var out []T
	for r.Next() {
		v, err := scan(r)
		if err != nil {
			return nil, interpret(err)
		}
		out = append(out, v)
	}
	return out, interpret(r.Err())
}

// scanValue scans a row of one column. The value is read after Scan has
// filled it: in `return v, r.Scan(&v)` the order is the compiler's choice.
func scanValue[T any](r rows) (T, error) {
	var v T
	err := r.Scan(&v)
	return v, err
}

// interpret maps driver errors to the store's sentinels. A unique violation
// becomes ErrConflict without the constraint's name; a missing row
// ErrNotFound. Other errors pass through for logs.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return ErrConflict
		case "23503":
			return ErrInvalidReference
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return ErrInvalidReference
		}
	}
	return err
}

// IsConflict reports whether err is a unique-constraint conflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsNotFound reports whether err is a missing row.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
