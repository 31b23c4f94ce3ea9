package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgTx is a PostgreSQL transaction that spends as few round trips as its
// statements allow. Its BEGIN is not sent on its own: it travels with the
// transaction's first statement, in one pipelined batch. A statement whose
// answer the transaction does not wait for (later) is queued, and travels
// with the next statement or with the COMMIT. A transaction that sent
// nothing commits without a round trip.
//
// It is a pgx.Tx, so River's calls get a transaction of their own kind:
// their first statement carries what is queued before it.
//
// Statements with pgx options among their arguments, and Exec calls without
// arguments (which pgx sends in the simple protocol, where one string may
// hold several statements), are sent on their own after what is queued.
// Large objects are not supported.
type pgTx struct {
	conn *pgxpool.Conn
	// single: no BEGIN or COMMIT at all; every round trip is a transaction
	// of its own (DB.InStatement).
	single bool
	// begun: BEGIN has been sent and the server did not refuse it (or,
	// single, is not to be sent).
	begun bool
	// trips counts the round trips sent.
	trips int
	// count is the database's statement counter: single, every round trip
	// is a commit of its own, which no COMMIT statement shows.
	count *counter
	// queued are sent with the next round trip, in order, after BEGIN.
	queued []*queuedStmt
	closed bool
	// lost: the connection was closed when the transaction ended.
	lost bool
	// savepoints numbers the pseudo-nested transactions of Begin.
	savepoints int64
}

// singleFailure turns how a statement of a single-statement transaction
// failed into whether its body may run again: not once an earlier round
// trip may have committed.
func (t *pgTx) singleFailure(f failure) failure {
	if f == failRetry && t.trips > 1 {
		return failAmbiguous
	}
	return f
}

// send sends a batch: one round trip.
func (t *pgTx) send(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	t.trip()
	return t.conn.SendBatch(ctx, b)
}

// trip counts a round trip about to be sent.
func (t *pgTx) trip() {
	t.trips++
	if t.single && t.count != nil {
		t.count.commits.Add(1)
	}
}

// connLost reports whether the transaction's connection is gone, now or
// when the transaction ended.
func (t *pgTx) connLost() bool {
	if t.closed {
		return t.lost
	}
	return t.conn.Conn().IsClosed()
}

// release returns the connection to the pool, which drops it when it is
// closed or still inside a transaction.
func (t *pgTx) release() {
	t.lost = t.conn.Conn().IsClosed()
	t.conn.Release()
}

// queuedStmt is a statement waiting for the transaction's next round trip.
// read, when set, receives its rows (and must close them); err is its
// outcome once sent.
type queuedStmt struct {
	sql  string
	args []any
	read func(pgx.Rows) error
	sent bool
	err  error
}

// errTxClosed is pgx's own error, so that callers testing for it find it.
var errTxClosed = pgx.ErrTxClosed

// later queues a statement whose rows read receives (nil: its command tag
// is not needed) when the next round trip carries it.
func (t *pgTx) later(sql string, args []any, read func(pgx.Rows) error) *queuedStmt {
	q := &queuedStmt{sql: sql, args: args, read: read}
	t.queued = append(t.queued, q)
	return q
}

// await returns the outcome of a queued statement, sending it first if no
// round trip has carried it yet.
func (t *pgTx) await(ctx context.Context, q *queuedStmt) error {
	if !q.sent {
		if t.closed {
			return errTxClosed
		}
		if err := t.flush(ctx); err != nil && q.err == nil {
			return err
		}
	}
	return q.err
}

// batchFor starts a batch with what must precede a statement now: BEGIN
// when it has not been sent, and the queued statements.
func (t *pgTx) batchFor() (*pgx.Batch, bool) {
	b := &pgx.Batch{}
	withBegin := !t.begun
	if withBegin {
		b.Queue("begin")
	}
	for _, q := range t.queued {
		b.Queue(q.sql, q.args...)
	}
	return b, withBegin
}

// readAhead reads the results of BEGIN and the queued statements at the
// head of a sent batch; the first error ends the batch, because the server
// skips the rest of a pipeline after one.
func (t *pgTx) readAhead(br pgx.BatchResults, withBegin bool) error {
	queued := t.queued
	t.queued = nil
	if withBegin {
		if _, err := br.Exec(); err != nil {
			failAll(queued, err)
			return err
		}
		t.begun = true
	}
	for i, q := range queued {
		q.sent = true
		if q.read != nil {
			rows, err := br.Query()
			if err == nil {
				err = q.read(rows)
			}
			q.err = err
		} else {
			_, q.err = br.Exec()
		}
		if q.err != nil {
			failAll(queued[i+1:], q.err)
			return q.err
		}
	}
	return nil
}

// failAll records err as the outcome of statements the server skipped.
func failAll(qs []*queuedStmt, err error) {
	for _, q := range qs {
		q.sent, q.err = true, err
	}
}

// flush sends BEGIN and the queued statements, if there are any to send, in
// one round trip.
func (t *pgTx) flush(ctx context.Context) error {
	if t.begun && len(t.queued) == 0 {
		return nil
	}
	b, withBegin := t.batchFor()
	br := t.send(ctx, b)
	err := t.readAhead(br, withBegin)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// direct reports whether a statement is sent as it is: nothing precedes
// it, or pgx must see it alone.
func (t *pgTx) direct(args []any) bool {
	if t.begun && len(t.queued) == 0 {
		return true
	}
	if len(args) > 0 {
		switch args[0].(type) {
		case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID, pgx.QueryRewriter:
			return true
		}
	}
	return false
}

func (t *pgTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.closed {
		return pgconn.CommandTag{}, errTxClosed
	}
	if len(args) == 0 || t.direct(args) {
		if err := t.flush(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
		t.trip()
		return t.conn.Exec(ctx, sql, args...)
	}
	return t.execAfter(ctx, sql, args...)
}

// execAfter sends a statement after what must precede it, in one batch,
// and returns the statement's command tag.
func (t *pgTx) execAfter(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b, withBegin := t.batchFor()
	b.Queue(sql, args...)
	br := t.send(ctx, b)
	err := t.readAhead(br, withBegin)
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query returns rows that must be closed, even with an error, as pgx's.
func (t *pgTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.closed {
		return failedRows(errTxClosed)
	}
	if t.direct(args) {
		if err := t.flush(ctx); err != nil {
			return failedRows(err)
		}
		t.trip()
		return t.conn.Query(ctx, sql, args...)
	}
	b, withBegin := t.batchFor()
	b.Queue(sql, args...)
	br := t.send(ctx, b)
	if err := t.readAhead(br, withBegin); err != nil {
		_ = br.Close()
		return failedRows(err)
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return rows, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// failedRows are the rows of a statement that was not sent.
func failedRows(err error) (pgx.Rows, error) {
	return &errRows{err: err}, err
}

// errRows are closed rows with an error.
type errRows struct{ err error }

func (r *errRows) Close()                                       {}
func (r *errRows) Err() error                                   { return r.err }
func (r *errRows) Next() bool                                   { return false }
func (r *errRows) Scan(...any) error                            { return r.err }
func (r *errRows) Values() ([]any, error)                       { return nil, r.err }
func (r *errRows) RawValues() [][]byte                          { return nil }
func (r *errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (r *errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (r *errRows) Conn() *pgx.Conn                              { return nil }
func (r *errRows) TypeMap() *pgtype.Map                         { return nil }

func (t *pgTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	return &oneRow{rows: rows, err: err}
}

// batchRows are the rows of a batch's last statement: closing them closes
// the batch, which reads the pipeline's end.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.err = r.br.Close()
		r.br = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// oneRow is QueryRow's answer, as pgx's own: the first row, ErrNoRows for
// none.
type oneRow struct {
	rows pgx.Rows
	err  error
}

func (r *oneRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	rows := r.rows
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// Commit sends COMMIT with the queued statements (and BEGIN, when only
// queued statements were ever sent) in one round trip; a transaction that
// sent nothing has nothing to commit. Single, it sends only the queued
// statements, which one pipeline runs as one implicit transaction. The
// connection returns to the pool.
func (t *pgTx) Commit(ctx context.Context) error {
	if t.closed {
		return errTxClosed
	}
	t.closed = true
	defer t.release()
	if t.single {
		return t.flush(ctx)
	}
	if !t.begun && len(t.queued) == 0 {
		return nil
	}
	tag, err := t.execAfter(ctx, "commit")
	if err != nil {
		t.abandon(ctx)
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// abandon ends what a failed COMMIT left open: a statement of its batch
// failed, so the server skipped the COMMIT and the transaction is aborted.
// A connection that cannot even roll back is closed, as pgx does.
func (t *pgTx) abandon(ctx context.Context) {
	conn := t.conn.Conn()
	if conn.IsClosed() || conn.PgConn().TxStatus() == 'I' {
		return
	}
	if _, err := conn.Exec(ctx, "rollback"); err != nil {
		_ = conn.Close(ctx)
	}
}

// Rollback discards the queued statements and rolls back what was sent.
func (t *pgTx) Rollback(ctx context.Context) error {
	if t.closed {
		return errTxClosed
	}
	t.closed = true
	t.queued = nil
	defer t.release()
	if !t.begun || t.single {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "rollback"); err != nil {
		_ = t.conn.Conn().Close(ctx) // a connection in an unknown state is not reused
		return err
	}
	return nil
}

// Begin starts a pseudo-nested transaction on a savepoint, as pgx's does.
func (t *pgTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if t.closed {
		return nil, errTxClosed
	}
	t.savepoints++
	sp := &pgSavepoint{tx: t, name: "sp_" + strconv.FormatInt(t.savepoints, 10)}
	if _, err := t.Exec(ctx, "savepoint "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

func (t *pgTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if t.closed {
		return 0, errTxClosed
	}
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	t.trip()
	return t.conn.CopyFrom(ctx, table, columns, src)
}

func (t *pgTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.closed {
		return pgx.FailedBatchResults(b, errTxClosed)
	}
	if err := t.flush(ctx); err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return t.send(ctx, b)
}

func (t *pgTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if t.closed {
		return nil, errTxClosed
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// LargeObjects is not supported: reckon and River keep none.
func (t *pgTx) LargeObjects() pgx.LargeObjects {
	panic("store: large objects are not supported in a store transaction")
}

func (t *pgTx) Conn() *pgx.Conn { return t.conn.Conn() }

// pgSavepoint is a pseudo-nested transaction of a pgTx.
type pgSavepoint struct {
	tx     *pgTx
	name   string
	closed bool
}

func (s *pgSavepoint) Begin(ctx context.Context) (pgx.Tx, error) {
	if s.closed {
		return nil, errTxClosed
	}
	return s.tx.Begin(ctx)
}

func (s *pgSavepoint) Commit(ctx context.Context) error {
	if s.closed {
		return errTxClosed
	}
	s.closed = true
	_, err := s.tx.Exec(ctx, "release savepoint "+s.name)
	return err
}

func (s *pgSavepoint) Rollback(ctx context.Context) error {
	if s.closed {
		return errTxClosed
	}
	s.closed = true
	_, err := s.tx.Exec(ctx, "rollback to savepoint "+s.name)
	return err
}

func (s *pgSavepoint) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if s.closed {
		return 0, errTxClosed
	}
	return s.tx.CopyFrom(ctx, table, columns, src)
}

func (s *pgSavepoint) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if s.closed {
		return pgx.FailedBatchResults(b, errTxClosed)
	}
	return s.tx.SendBatch(ctx, b)
}

func (s *pgSavepoint) LargeObjects() pgx.LargeObjects { return s.tx.LargeObjects() }

func (s *pgSavepoint) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if s.closed {
		return nil, errTxClosed
	}
	return s.tx.Prepare(ctx, name, sql)
}

func (s *pgSavepoint) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if s.closed {
		return pgconn.CommandTag{}, errTxClosed
	}
	return s.tx.Exec(ctx, sql, args...)
}

func (s *pgSavepoint) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if s.closed {
		return nil, errTxClosed
	}
	return s.tx.Query(ctx, sql, args...)
}

func (s *pgSavepoint) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := s.Query(ctx, sql, args...)
	return &oneRow{rows: rows, err: err}
}

func (s *pgSavepoint) Conn() *pgx.Conn { return s.tx.Conn() }

var (
	_ pgx.Tx = (*pgTx)(nil)
	_ pgx.Tx = (*pgSavepoint)(nil)
)
