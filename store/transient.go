package store

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable marks a failure of the database itself — a lost or refused
// connection, a server shutting down, too many connections, a transaction
// the engine gave up on — that InTx could not ride out. Callers answer it
// as "try again shortly" (HTTP 503), never as an internal error.
var ErrUnavailable = errors.New("store: database unavailable")

// IsUnavailable reports whether err is a database failure worth retrying
// later (see ErrUnavailable).
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Retry bounds of InTx: a connection cut is over within a few attempts; a
// server restart takes seconds, and a request should not wait much longer
// than that before it is told to come back.
const (
	retryAttempts = 8
	retryBudget   = 10 * time.Second
	retryBase     = 25 * time.Millisecond
	retryCap      = time.Second
)

// failure classifies how a transaction failed.
type failure int

const (
	failPermanent failure = iota // the body's or the data's own error
	failRetry                    // the database refused or lost it before it could commit
	failAmbiguous                // the connection died during commit, unanswered: it may have landed
)

// classify says whether a failed attempt may be run again. conn reports
// whether the transaction's connection is gone; atCommit whether the error
// came from the commit itself.
func classify(err error, connLost, atCommit bool) failure {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// The server answered with an error, even to COMMIT: the
		// transaction did not commit (past its commit record PostgreSQL
		// cannot fail a transaction), so running it again is safe.
		switch {
		case pgErr.Code == "40001", pgErr.Code == "40P01", // serialization failure, deadlock
			pgErr.Code == "53300", pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03",
			len(pgErr.Code) == 5 && pgErr.Code[:2] == "08":
			return failRetry
		}
		return failPermanent
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		// SQLITE_BUSY past the busy timeout; in WAL mode a busy commit did
		// not happen.
		if sqErr.Code()&0xff == sqlite3.SQLITE_BUSY {
			return failRetry
		}
		return failPermanent
	}
	if pgconn.SafeToRetry(err) {
		return failRetry // nothing reached the server
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if connLost || errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return connFailure(atCommit)
	}
	return failPermanent
}

func connFailure(atCommit bool) failure {
	if atCommit {
		return failAmbiguous
	}
	return failRetry
}

// backoff is the wait before retry n (0-based): exponential, capped, with
// jitter over its upper half so that callers cut off together do not
// return together.
func backoff(n int) time.Duration {
	d := min(retryCap, retryBase<<n)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
