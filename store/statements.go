package store

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
)

// StatementCount is how many statements a database has been sent, River's
// included. Every statement — BEGIN and COMMIT among them — is one round
// trip to a PostgreSQL server; on SQLite it is one call into the engine.
type StatementCount struct {
	Statements int64 `json:"statements"`
	Commits    int64 `json:"commits"`
}

// Sub returns the statements sent between an earlier count and c.
func (c StatementCount) Sub(earlier StatementCount) StatementCount {
	return StatementCount{Statements: c.Statements - earlier.Statements, Commits: c.Commits - earlier.Commits}
}

// Add returns the sum of two counts.
func (c StatementCount) Add(other StatementCount) StatementCount {
	return StatementCount{Statements: c.Statements + other.Statements, Commits: c.Commits + other.Commits}
}

// counter counts statements on the store's connections: a pgx tracer on
// PostgreSQL, a wrapper of the driver's connection on SQLite. One counter
// serves both so that benchmarks compare like with like.
type counter struct{ statements, commits atomic.Int64 }

// Statements returns how many statements and commits the database has been
// sent since it was opened.
func (db *DB) Statements() StatementCount {
	return StatementCount{Statements: db.count.statements.Load(), Commits: db.count.commits.Load()}
}

// pgx tracer: Begin, Commit and every query pass through Exec or Query.

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	if data.SQL == "commit" {
		c.commits.Add(1)
	}
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A batch is sent in one round trip.
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.statements.Add(1)
	return ctx
}

func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

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
	conn sqliteConn
	c    *counter
}

func (c *countingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}
func (c *countingConn) Close() error { return c.conn.Close() }
func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}
func (c *countingConn) Ping(ctx context.Context) error         { return c.conn.Ping(ctx) }
func (c *countingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }
func (c *countingConn) IsValid() bool                          { return c.conn.IsValid() }

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.c.statements.Add(1)
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
	c.c.statements.Add(1)
	return c.conn.ExecContext(ctx, q, args)
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.c.statements.Add(1)
	return c.conn.QueryContext(ctx, q, args)
}

type countingTx struct {
	tx driver.Tx
	c  *counter
}

func (t countingTx) Commit() error {
	t.c.statements.Add(1)
	t.c.commits.Add(1)
	return t.tx.Commit()
}

func (t countingTx) Rollback() error {
	t.c.statements.Add(1)
	return t.tx.Rollback()
}

// countingStmt counts a prepared statement each time it runs.
type countingStmt struct {
	driver.Stmt
	c *counter
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.statements.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.statements.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
