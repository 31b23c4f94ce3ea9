package store

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
)

// StatementCount is what a database has been sent, River's statements
// included. BEGIN and COMMIT are statements too. On PostgreSQL a round trip
// is one statement, or one pipelined batch of several (a transaction's
// BEGIN travels with its first statement); on SQLite every statement is a
// call into the engine, and counts as a round trip of its own.
type StatementCount struct {
	RoundTrips int64 `json:"round_trips"`
	Statements int64 `json:"statements"`
	Commits    int64 `json:"commits"`
}

// Sub returns what was sent between an earlier count and c.
func (c StatementCount) Sub(earlier StatementCount) StatementCount {
	return StatementCount{RoundTrips: c.RoundTrips - earlier.RoundTrips,
		Statements: c.Statements - earlier.Statements, Commits: c.Commits - earlier.Commits}
}

// Add returns the sum of two counts.
func (c StatementCount) Add(other StatementCount) StatementCount {
	return StatementCount{RoundTrips: c.RoundTrips + other.RoundTrips,
		Statements: c.Statements + other.Statements, Commits: c.Commits + other.Commits}
}

// counter counts statements on the store's connections: a pgx tracer on
// PostgreSQL, a wrapper of the driver's connection on SQLite. One counter
// serves both so that benchmarks compare like with like.
type counter struct{ roundTrips, statements, commits atomic.Int64 }

// Statements returns what the database has been sent since it was opened.
func (db *DB) Statements() StatementCount {
	return StatementCount{RoundTrips: db.count.roundTrips.Load(), Statements: db.count.statements.Load(),
		Commits: db.count.commits.Load()}
}

// statement counts one statement; alone says it was a round trip of its
// own.
func (c *counter) statement(sql string, alone bool) {
	if alone {
		c.roundTrips.Add(1)
	}
	c.statements.Add(1)
	if sql == "commit" {
		c.commits.Add(1)
	}
}

// pgx tracer: every statement passes through Exec, Query or a batch.

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.statement(data.SQL, true)
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A batch is sent in one round trip; each of its statements is counted as
// its answer is read.
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.roundTrips.Add(1)
	return ctx
}

func (c *counter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	c.statement(data.SQL, false)
}

func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// countingDriver opens SQLite connections that count what they execute.
type countingDriver struct {
	c   *counter
	dsn string
}

func (d countingDriver) Connect(context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(d.dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn: conn.(sqliteConn), c: d.c}, nil
}

func (d countingDriver) Driver() driver.Driver { return &sqlite.Driver{} }

// sqliteConn is what modernc's connection implements and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type countingConn struct {
	conn  sqliteConn
	c     *counter
	stmts stmtCache // sqlitecache.go
}

func (c *countingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *countingConn) Close() error {
	c.stmts.close()
	return c.conn.Close()
}
func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *countingConn) Ping(ctx context.Context) error         { return c.conn.Ping(ctx) }
func (c *countingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }
func (c *countingConn) IsValid() bool                          { return c.conn.IsValid() }

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.c.statement("begin", true)
	tx, err := c.conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx: tx, c: c.c}, nil
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	s, err := c.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return countingStmt{Stmt: s, c: c.c}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.c.statement(q, true)
	s, err := c.stmts.get(ctx, c.conn, q)
	if err != nil {
		return nil, err
	}
	if s != nil {
		return s.exec(ctx, args)
	}
	return c.conn.ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.c.statement(q, true)
	s, err := c.stmts.get(ctx, c.conn, q)
	if err != nil {
		return nil, err
	}
	if s != nil {
		return s.query(ctx, args)
	}
	return c.conn.QueryContext(ctx, q, args)
}

type countingTx struct {
	tx driver.Tx
	c  *counter
}

func (t countingTx) Commit() error {
	t.c.statement("commit", true)
	return t.tx.Commit()
}

func (t countingTx) Rollback() error {
	t.c.statement("rollback", true)
	return t.tx.Rollback()
}

// countingStmt counts a prepared statement each time it runs.
type countingStmt struct {
	driver.Stmt
	c *counter
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.statement("", true)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.statement("", true)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
