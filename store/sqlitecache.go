package store

import (
	"context"
	"database/sql/driver"
)

// SQLite spends most of a short statement's time compiling it: parsing and
// planning one of the ledger's writes, or one of River's, costs more than
// running it. A connection therefore keeps its statements compiled, by
// their text, and runs them again with new arguments — River's as well as
// reckon's, since both pass through the connection. PostgreSQL's driver
// does the same (pgx's statement cache).

// stmtCacheSize bounds the statements a connection keeps: reckon's and
// River's queries are a few hundred texts at most; beyond the bound a
// statement is compiled each time, as without the cache.
const stmtCacheSize = 512

// stmtCache is a connection's compiled statements. database/sql never uses
// a connection from two goroutines at once, so it needs no lock.
type stmtCache struct {
	stmts map[string]*cachedStmt
}

// cachedStmt is a compiled statement; busy while rows it returned are
// open, when running it again would reset them.
type cachedStmt struct {
	stmt driver.Stmt
	busy bool
}

// get returns the compiled statement of q on conn, compiling it the first
// time; nil when the cache is full or q is in use. (A script of several
// statements is kept too: the driver compiles such a text statement by
// statement each time it runs, as it would uncached.)
func (c *stmtCache) get(ctx context.Context, conn driver.ConnPrepareContext, q string) (*cachedStmt, error) {
	if s, ok := c.stmts[q]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		return nil, nil
	}
	stmt, err := conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*cachedStmt)
	}
	s := &cachedStmt{stmt: stmt}
	c.stmts[q] = s
	return s, nil
}

func (s *cachedStmt) exec(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *cachedStmt) query(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// close releases every compiled statement.
func (c *stmtCache) close() {
	for _, s := range c.stmts {
		_ = s.stmt.Close()
	}
	c.stmts = nil
}

// cachedRows are a cached statement's rows: closing them frees the
// statement for its next run.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}
